using System.Text;

namespace UnimoG.EmojiWorld;

/// <summary>A caption and, per planned entity (plan order), the [start, end) span of its name in it.</summary>
/// <remarks>Offsets count UTF-16 code units; every caption is checked to stay in the Basic Multilingual
/// Plane, so they equal Unicode code-point offsets (Python's str indices).</remarks>
public sealed record Caption(string Text, IReadOnlyList<(int Start, int End)> Spans);

/// <summary>
/// English and Chinese captions from templates. English follows MultiBench's five templates word for word
/// ("a {living} wearing {wearing} is eating {food}"), each slot filled with the entity's indefinite phrase
/// ("a dog", "an owl", "sunglasses"); the span covers the name without its article, which is what the
/// data preparation replaces with an image ("a &lt;img1&gt; wearing &lt;img2&gt;"). Chinese puts a
/// classifier before the subject ("一只狗") and a verb fitting the worn item before it ("戴着礼帽", "穿着T恤",
/// "背着书包"). A background is appended when the plan mentions it.
/// </summary>
public static class Captioner
{
    public static (Caption En, Caption Zh) Build(ScenePlan plan)
    {
        var en = new Builder(plan.Entities.Count, separator: " ");
        var zh = new Builder(plan.Entities.Count, separator: "");
        var e = plan.Entities;
        int worn = IndexOf(plan, Role.Worn), beside = IndexOf(plan, Role.Beside);

        en.Entity(0, e[0].Entity.ArticleEn, e[0].Entity.NameEn);
        var subject = e[0].Entity;
        zh.Entity(0, subject.ClassifierZh is null ? "" : $"一{subject.ClassifierZh}", subject.NameZh);
        if (worn >= 0)
        {
            var w = e[worn].Entity;
            en.Text(" wearing ");
            en.Entity(worn, w.ArticleEn, w.NameEn);
            zh.Text(w.VerbZh!);
            zh.Entity(worn, "", w.NameZh);
        }
        if (beside >= 0)
        {
            var b = e[beside].Entity;
            var eat = b.Category == Category.Food;
            en.Text(eat ? " is eating " : " is playing with ");
            en.Entity(beside, b.ArticleEn, b.NameEn);
            zh.Text(eat ? "在吃" : "在玩");
            zh.Entity(beside, "", b.NameZh);
        }

        var bg = plan.Background;
        if (bg.Mentioned)
        {
            switch (bg.Kind)
            {
                case BackgroundKind.Colour:
                    en.Text($" on {Article(bg.First!.NameEn)} {bg.First.NameEn} background");
                    zh.Text($"，背景是{bg.First.NameZh}");
                    break;
                case BackgroundKind.Gradient:
                    en.Text($" on {Article(bg.First!.NameEn)} {bg.First.NameEn} and {bg.Second!.NameEn} background");
                    zh.Text($"，背景是{bg.First.NameZh}到{bg.Second.NameZh}的渐变");
                    break;
                default:
                    en.Text($" {bg.Scene!.PhraseEn}");
                    zh.Text($"，背景是{bg.Scene.NameZh}");
                    break;
            }
        }
        return (en.Build(), zh.Build());
    }

    /// <summary>"an" before a vowel letter ("an orange background"), else "a"; colour names have no exceptions.</summary>
    private static string Article(string word) => "aeiou".Contains(char.ToLowerInvariant(word[0])) ? "an" : "a";

    private static int IndexOf(ScenePlan plan, Role role)
    {
        for (var i = 0; i < plan.Entities.Count; i++)
            if (plan.Entities[i].Role == role) return i;
        return -1;
    }

    private sealed class Builder(int count, string separator)
    {
        private readonly StringBuilder _text = new();
        private readonly (int, int)[] _spans = new (int, int)[count];

        public void Text(string s) => _text.Append(s);

        /// <summary>Appends "{prefix}{separator}{name}" ("a dog", "一只狗"), spanning the name only.</summary>
        public void Entity(int index, string prefix, string name)
        {
            if (prefix.Length > 0)
                _text.Append(prefix).Append(separator);
            var start = _text.Length;
            _text.Append(name);
            _spans[index] = (start, _text.Length);
        }

        public Caption Build()
        {
            var text = _text.ToString();
            if (text.Any(char.IsSurrogate))
                throw new InvalidOperationException($"Caption '{text}' leaves the Basic Multilingual Plane; spans would be ambiguous.");
            return new Caption(text, _spans);
        }
    }
}
