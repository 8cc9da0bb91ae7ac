using System.Text.RegularExpressions;

namespace UnimoG.Engines.DataPrep.Entities;

/// <summary>Prompt templates of the MLLM extractor. <c>{caption}</c> is replaced by the caption.</summary>
public sealed record MllmPrompts
{
    /// <summary>Asked with the image when the extractor writes the caption itself (paper, Figure 3: "caption").</summary>
    public string CaptionEn { get; init; } = "Describe this image in one sentence.";
    public string CaptionZh { get; init; } = "用一句话描述这张图片。";

    /// <summary>Asked (text only) to list the entities of a caption.</summary>
    public string EntitiesEn { get; init; } =
        "List the objects, people and animals mentioned in the sentence below, one per line, copying their words " +
        "exactly from the sentence.\nSentence: {caption}\nObjects:\n";
    public string EntitiesZh { get; init; } =
        "列出下面句子中提到的物体、人物和动物，每行一个，原样使用句子中的词语。\n句子：{caption}\n物体：\n";
}

/// <summary>
/// The paper's first stage (Figure 3, appendix A): the MLLM captions the image and lists the caption's entities,
/// by greedy generation. The reply is parsed leniently (bullets, numbering, commas, quotes) and every listed phrase
/// is located in the caption: a phrase the caption does not contain is dropped, since an entity must have a span to
/// be replaced by its image.
/// </summary>
public sealed partial class MllmEntityExtractor(ITextGenerator generator, MllmPrompts? prompts = null) : IEntityExtractor
{
    private readonly MllmPrompts _prompts = prompts ?? new MllmPrompts();

    public string Name => "mllm";

    /// <summary>Write a new caption from the image (needs an <see cref="IImageTextGenerator"/>) instead of using the input's.</summary>
    public bool Recaption { get; init; }

    public int MaxCaptionTokens { get; init; } = 64;
    public int MaxListTokens { get; init; } = 64;
    public int MaxEntities { get; init; } = 8;

    public ValueTask<EntityExtraction> ExtractAsync(EntityRequest request, CancellationToken cancellationToken)
    {
        var caption = request.Caption;
        var source = "input";
        if (Recaption)
        {
            if (generator is not IImageTextGenerator vision)
                throw new InvalidOperationException("recaptioning needs an image-aware generator (IImageTextGenerator)");
            var zhInput = CaptionSearch.HasCjk(request.Caption);
            caption = CleanCaption(vision.Generate(request.ImageBytes, zhInput ? _prompts.CaptionZh : _prompts.CaptionEn,
                MaxCaptionTokens, cancellationToken));
            if (caption.Length == 0)
                throw new InvalidDataException("mllm: the generated caption is empty");
            source = "mllm";
        }
        var zh = CaptionSearch.HasCjk(caption);
        var prompt = (zh ? _prompts.EntitiesZh : _prompts.EntitiesEn).Replace("{caption}", caption);
        var reply = generator.Generate(prompt, MaxListTokens, cancellationToken);
        return ValueTask.FromResult(new EntityExtraction(caption, source, Locate(caption, ParseList(reply), MaxEntities)));
    }

    /// <summary>Items of a list reply: one per line or comma/semicolon (also "、，；"), without bullets, numbers or quotes.</summary>
    public static IReadOnlyList<string> ParseList(string reply)
    {
        var items = new List<string>();
        foreach (var raw in ItemSplit().Split(reply))
        {
            var item = Bullet().Replace(raw.Trim(), "").Trim().Trim('"', '\'', '“', '”', '‘', '’', '`', '*').Trim();
            item = item.TrimEnd('.', '。', '!', '！', ':', '：').Trim();
            // A line like "Objects: dog" or "none" is not an entity.
            if (item.Length == 0 || item.Length > 60 || item.Contains(':') || item.Contains('：')
                || item.Equals("none", StringComparison.OrdinalIgnoreCase) || item == "无")
                continue;
            items.Add(item);
        }
        return items;
    }

    /// <summary>Spans of the listed phrases in the caption, first free occurrence each, in caption order.</summary>
    public static IReadOnlyList<EntityMention> Locate(string caption, IEnumerable<string> phrases, int maxEntities)
    {
        var taken = new List<(int Start, int End)>();
        var result = new List<EntityMention>();
        // Longer phrases first, so "red scarf" is placed before "scarf" could take its words.
        foreach (var phrase in phrases.Distinct(StringComparer.OrdinalIgnoreCase).OrderByDescending(p => p.Length))
        {
            var at = CaptionSearch.Find(caption, phrase, taken);
            if (at < 0)
                continue;
            taken.Add((at, at + phrase.Length));
            var text = caption.Substring(at, phrase.Length);
            result.Add(new EntityMention(text, at, at + phrase.Length, text));
        }
        return result.OrderBy(m => m.Start).Take(maxEntities).ToList();
    }

    private static string CleanCaption(string reply)
    {
        var line = reply.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return line.Trim('"', '“', '”').Trim();
    }

    [GeneratedRegex(@"[\n;,，；、]")]
    private static partial Regex ItemSplit();

    [GeneratedRegex(@"^(?:[-*•·]+|\d+[.)、]|\(\d+\))\s*")]
    private static partial Regex Bullet();
}
