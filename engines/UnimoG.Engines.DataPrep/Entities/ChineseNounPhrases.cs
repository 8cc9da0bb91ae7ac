namespace UnimoG.Engines.DataPrep.Entities;

/// <summary>
/// Rule-based noun-phrase extraction for short Chinese captions, without a word segmenter: the caption is cut at
/// punctuation, numeral + classifier groups ("一只"), function words ("的", "在", "和", "着"...) and a lexicon of
/// common caption verbs ("戴", "穿", "吃", "玩"...), matched longest first; a protected-noun lexicon keeps nouns that
/// contain such characters whole ("围巾", "背包", "玩具", "和服"). Locative suffixes ("上", "里", "旁边") are stripped
/// from the end of a piece, and a piece that only modifies the next one through "的" (a colour, a size) is not an
/// entity. The limits are listed in docs/dataprep.md.
/// </summary>
public sealed class ChineseNounPhrases : RuleBasedExtractor
{
    public override string Name => "rules-zh";

    /// <summary>At most this many characters per phrase (the last ones: the head noun is last).</summary>
    public int MaxChars { get; init; } = 8;

    private enum Cut { None, Plain, Modifier }

    public override IReadOnlyList<EntityMention> Extract(string caption)
    {
        var result = new List<EntityMention>();
        var start = -1;
        var i = 0;
        while (i <= caption.Length)
        {
            var (length, cut) = i < caption.Length ? Match(caption, i) : (1, Cut.Plain);
            if (cut == Cut.None)
            {
                if (start < 0) start = i;
                i += length;
                continue;
            }
            if (start >= 0)
                Emit(caption, start, i, modifierFollows: cut == Cut.Modifier, result);
            start = -1;
            i += length;
        }
        return result;
    }

    /// <summary>At position <paramref name="i"/>: a protected noun (kept), a cut word, or one ordinary character.</summary>
    private static (int Length, Cut Cut) Match(string s, int i)
    {
        var c = s[i];
        if (!CaptionSearch.IsCjk(c))
            return (1, char.IsLetterOrDigit(c) ? Cut.None : Cut.Plain);
        for (var len = Math.Min(MaxLexiconLength, s.Length - i); len >= 1; len--)
        {
            var w = s.Substring(i, len);
            if (Protected.Contains(w)) return (len, Cut.None);
            if (w == "的") return (1, Cut.Modifier);
            if (Cuts.Contains(w)) return (len, Cut.Plain);
        }
        // Numeral + classifier: "一只", "两个", "几件".
        if (Numerals.Contains(c) && i + 1 < s.Length && Classifiers.Contains(s[i + 1]))
            return (2, Cut.Plain);
        return (1, Cut.None);
    }

    private void Emit(string caption, int start, int end, bool modifierFollows, List<EntityMention> result)
    {
        // Strip locative suffixes ("桌子上" -> "桌子") unless the whole word is protected.
        var changed = true;
        while (changed && end > start)
        {
            changed = false;
            foreach (var suffix in LocativeSuffixes)
            {
                if (end - start > suffix.Length && caption.AsSpan(start, end - start).EndsWith(suffix)
                    && !Protected.Contains(caption[start..end]))
                {
                    end -= suffix.Length;
                    changed = true;
                    break;
                }
            }
        }
        if (end - start > MaxChars)
            start = end - MaxChars;
        var phrase = caption[start..end];
        if (phrase.Length == 0 || NotDepictable.Contains(phrase) || Cuts.Contains(phrase))
            return;
        // "红色的围巾": the piece before 的 is a modifier when it is a colour/size word; otherwise a possessor ("狗的帽子").
        if (modifierFollows && (phrase.EndsWith('色') || Modifiers.Contains(phrase)))
            return;
        if (phrase.Length == 1 && !CaptionSearch.IsCjk(phrase[0]))
            return;
        result.Add(new EntityMention(phrase, start, end, phrase));
    }

    private static HashSet<string> Set(string words) => new(words.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static readonly HashSet<string> Cuts = Set(
        // function words and particles
        "的 地 得 着 了 过 在 是 和 与 及 跟 同 或 并 而 把 被 让 给 向 往 从 对 于 为 以 到 也 都 还 又 很 非常 正在 正 " +
        "这 那 这个 那个 这些 那些 些 有 没有 呢 吗 吧 啊 一边 同时 一起 里面 上面 下面 旁边 前面 后面 中间 周围 附近 之间 之中 " +
        "他 她 它 他们 她们 它们 我 你 我们 你们 自己 " +
        // verbs common in captions
        "戴 戴着 穿 穿着 吃 喝 玩 玩耍 拿 拿着 抱 抱着 坐 坐着 站 站着 躺 躺着 跑 走 骑 骑着 看 看着 望 望着 追 握 握着 举 举着 " +
        "背着 提着 披着 系着 围着 盖着 放 放着 摆 摆着 飞 游 游泳 跳 睡 睡觉 笑 微笑 唱 弹 写 读 做 煮 烤 切 倒 靠 靠着 趴 趴着 蹲 " +
        "挂 挂着 装 牵 牵着 扛 推 拉 踢 扔 接 咬 舔 闻 带 带着 搂 喂 享用 品尝 享受 演奏 准备 使用 用 戴上 穿上 配 配着 搭配 " +
        "位于 坐在 站在 躺在 放在 摆在 挂在 飞在 走在 跑在 趴在 蹲在 穿过 拥抱 玩着 吃着 喝着 正在吃 正在玩");
    private static readonly HashSet<string> Protected = Set(
        "围巾 背包 书包 背心 玩具 和服 的士 画板 画笔 画作 跑车 跑鞋 飞机 飞船 飞盘 跳绳 坐垫 站台 看板 拉面 拉链 切片 笑脸 游艇 " +
        "游泳池 泳衣 睡衣 睡袋 冰淇淋 冰激凌 吃货 喝水杯 带子 腰带 领带 鞋带 手提包 提包 拿铁 推车 帽子 上衣 下巴 中国 " +
        "吊带 挂件 挂钟 装饰 靠垫 枕头 看台 走廊 跑道 倒影 用具 玩偶 毛绒玩具 泰迪熊 熊猫 猫咪 小狗 小猫 被子");
    private static readonly string[] LocativeSuffixes =
        ["上面", "下面", "里面", "旁边", "前面", "后面", "中间", "周围", "附近", "上", "下", "里", "中", "前", "后", "旁", "边", "内", "外"];
    private static readonly int MaxLexiconLength = Cuts.Concat(Protected).Max(w => w.Length);
    private static readonly HashSet<char> Numerals = [.. "一二两三四五六七八九十几数每这那"];
    private static readonly HashSet<char> Classifiers = [.. "只个位条件辆张把块杯碗顶副双盘份头匹朵棵座本台片根枝串对群堆些名架艘栋颗粒支"];
    private static readonly HashSet<string> NotDepictable = Set(
        "背景 图片 照片 图像 画面 场景 风格 颜色 样子 时候 地方 左边 右边 中间 上面 下面 前面 后面 旁边 周围 一起 前景 远处");
    private static readonly HashSet<string> Modifiers = Set(
        "大 小 可爱 漂亮 美丽 红 黄 蓝 绿 白 黑 紫 粉 灰 金 银 高 矮 长 短 新 旧 胖 瘦 圆 方 毛茸茸 彩色 透明 木质 金属 塑料 " +
        "卡通 复古 时尚 优雅 开心 快乐");
}
