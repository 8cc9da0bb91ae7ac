using UnimoG.Data.Random;
using UnimoG.EmojiWorld;
using UnimoG.Mini.Data;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Mini.Mllm;

/// <summary>A run of token ids (tokenised as one text segment, as the encoder does) and whether the loss reads them.</summary>
public sealed record TextPart(int[] Ids, bool Supervised);

/// <summary>An image's visual tokens at this place: index into the sample's images.</summary>
public sealed record ImagePart(int Image);

/// <summary>
/// One pre-training sequence: BOS, then text and image parts in order. <see cref="Images"/> are 64x64 RGB.
/// <see cref="Entity"/> is the catalog entity a name task shows (for the contrastive term), else null;
/// <see cref="Hexes"/> every entity the sample shows or names (what the held-out guard checks).
/// </summary>
public sealed record MllmSample(string Task, IReadOnlyList<object> Parts, IReadOnlyList<byte[]> Images, string? Entity, IReadOnlyList<string> Hexes);

/// <summary>
/// The MLLM's pre-training tasks on EmojiWorld train data ("align images with their names and captions"), each
/// written the way <see cref="UnimoG.Modeling.Encoders.MllmEncoder"/> tokenises prompts (text segments on their
/// own with the dummy prefix, <c>&lt;Img&gt;</c> + visual tokens + <c>&lt;/Img&gt;</c>):
/// <list type="bullet">
/// <item><c>lm</c>: a caption, English or Chinese; loss on every token.</item>
/// <item><c>name</c>: <c>&lt;Img&gt;</c> entity <c>&lt;/Img&gt; name:</c> (or <c>名字：</c>) then the name; loss on the name and EOS only.
///   The entity is a reference sprite (whole, or cropped to its extent) or a cut-out from a train scene.</item>
/// <item><c>caption</c>: <c>&lt;Img&gt;</c> scene <c>&lt;/Img&gt; caption:</c> (or <c>描述：</c>) then the caption; loss on the caption and EOS.</item>
/// <item><c>interleaved</c>: a caption whose entity names are replaced by their cut-outs (stage-2-style prompts); loss on all text.</item>
/// </list>
/// </summary>
public sealed class MllmTasks
{
    public const string ImageOpen = "<Img>", ImageClose = "</Img>";
    public static readonly IReadOnlyDictionary<string, string> NameCue = new Dictionary<string, string> { ["en"] = " name:", ["zh"] = " 名字：" };
    public static readonly IReadOnlyDictionary<string, string> CaptionCue = new Dictionary<string, string> { ["en"] = " caption:", ["zh"] = " 描述：" };

    /// <summary>Samples per step of each task (out of a batch): name, caption, interleaved, lm.</summary>
    public static readonly (string Task, double Share)[] Mix = [("name", 0.4), ("caption", 0.15), ("interleaved", 0.25), ("lm", 0.2)];

    private readonly LlamaSentencePieceTokenizer _tokenizer;
    private readonly SceneSet _scenes;
    private readonly EmojiArt _art;
    private readonly IReadOnlyList<Entity> _entities;

    public MllmTasks(LlamaSentencePieceTokenizer tokenizer, SceneSet scenes, EmojiArt art)
    {
        if (scenes.Use != DataUse.Generator) throw new ArgumentException("MLLM pre-training reads generator data (the train split) only");
        _tokenizer = tokenizer;
        _scenes = scenes;
        _art = art;
        _entities = HeldOutGuard.SeenEntities;
    }

    public int BosId => _tokenizer.BosId;
    public int EosId => _tokenizer.EosId;

    /// <summary>A text segment's ids as the encoder makes them: no BOS, SentencePiece's dummy prefix.</summary>
    public int[] Tokens(string text) => _tokenizer.Encode(text, addBos: false);

    /// <summary>The batch of step <paramref name="step"/> (its choices come from (seed, step) alone).</summary>
    public List<MllmSample> Batch(long seed, long step, int size)
    {
        var rng = Training.StepRandom.Data(seed, "mllm", step);
        var samples = new List<MllmSample>(size);
        foreach (var (task, share) in Mix)
        {
            var n = task == Mix[^1].Task ? size - samples.Count : (int)Math.Round(size * share);
            for (var i = 0; i < n; i++)
            {
                var lang = rng.Chance(0.5) ? "en" : "zh";
                samples.Add(task switch
                {
                    "name" => rng.Chance(0.5) ? NameOfSprite(_entities[rng.NextInt(_entities.Count)], lang, rng) : NameOfCutOut(_scenes[rng.NextInt(_scenes.Count)], lang, rng),
                    "caption" => Caption(_scenes[rng.NextInt(_scenes.Count)], lang),
                    "interleaved" => Interleaved(_scenes[rng.NextInt(_scenes.Count)], lang),
                    _ => Lm(_scenes[rng.NextInt(_scenes.Count)], lang),
                });
            }
        }
        foreach (var s in samples) Guard(s);
        return samples;
    }

    /// <summary>The name prompt for an entity image: BOS "&lt;Img&gt;" image "&lt;/Img&gt; name:" (the answer follows).</summary>
    public List<object> NamePrompt(string lang) =>
        [new TextPart(Tokens(ImageOpen), false), new ImagePart(0), new TextPart(Tokens(ImageClose + NameCue[lang]), false)];

    public List<object> CaptionPrompt(string lang) =>
        [new TextPart(Tokens(ImageOpen), false), new ImagePart(0), new TextPart(Tokens(ImageClose + CaptionCue[lang]), false)];

    private List<object> Answer(List<object> prompt, string answer)
    {
        prompt.Add(new TextPart(Tokens(answer), true));
        prompt.Add(new TextPart([EosId], true));
        return prompt;
    }

    public static string NameOf(Entity e, string lang) => lang == "en" ? e.NameEn : e.NameZh;

    /// <summary>A reference sprite on white: whole (as EmojiBench's reference images) or cropped to its extent with a random margin (as data preparation's segments).</summary>
    public MllmSample NameOfSprite(Entity e, string lang, SplitMix64 rng)
    {
        var sprite = _art.Sprite(e.Hex);
        var rgb = sprite.RgbOnWhite();
        if (rng.Chance(0.5))
        {
            var m = rng.NextInt(7);
            var x = sprite.Extent;
            rgb = EntityImages.SquareOnWhite(rgb, sprite.Rgba, Images.N, Math.Max(0, x.Left - m), Math.Max(0, x.Top - m),
                Math.Min(Images.N, x.Right + m), Math.Min(Images.N, x.Bottom + m));
        }
        return new MllmSample("name", Answer(NamePrompt(lang), NameOf(e, lang)), [rgb], e.Hex, [e.Hex]);
    }

    public MllmSample NameOfCutOut(Scene scene, string lang, SplitMix64 rng)
    {
        var i = rng.NextInt(scene.Record.Entities.Count);
        var e = scene.Record.Entities[i];
        return new MllmSample("name", Answer(NamePrompt(lang), lang == "en" ? e.NameEn : e.NameZh), [EntityImages.CutOut(scene, i)], e.Hex, [e.Hex]);
    }

    public MllmSample Caption(Scene scene, string lang) =>
        new("caption", Answer(CaptionPrompt(lang), CaptionText(scene, lang)), [scene.Rgb], null, Hexes(scene));

    public MllmSample Lm(Scene scene, string lang) =>
        new("lm", [new TextPart(Tokens(CaptionText(scene, lang)), true), new TextPart([EosId], true)], [], null, Hexes(scene));

    /// <summary>The caption with each entity's name replaced by &lt;Img&gt; its cut-out &lt;/Img&gt;, segmented as the encoder does.</summary>
    public MllmSample Interleaved(Scene scene, string lang)
    {
        var text = CaptionText(scene, lang);
        var order = scene.Record.Entities.Select((e, i) => (Span: lang == "en" ? e.SpanEn : e.SpanZh, Index: i)).OrderBy(x => x.Span[0]).ToList();
        var parts = new List<object>();
        var images = new List<byte[]>();
        var segment = "";
        var cursor = 0;
        foreach (var (span, index) in order)
        {
            parts.Add(new TextPart(Tokens(segment + text[cursor..span[0]] + ImageOpen), true));
            parts.Add(new ImagePart(images.Count));
            images.Add(EntityImages.CutOut(scene, index));
            segment = ImageClose;
            cursor = span[1];
        }
        parts.Add(new TextPart(Tokens(segment + text[cursor..]), true));
        parts.Add(new TextPart([EosId], true));
        return new MllmSample("interleaved", parts, images, null, Hexes(scene));
    }

    private static string CaptionText(Scene scene, string lang) => lang == "en" ? scene.Record.CaptionEn : scene.Record.CaptionZh;

    private static List<string> Hexes(Scene scene) => scene.Record.Entities.Select(e => e.Hex).ToList();

    /// <summary>Fails when a sample shows or names a held-out entity (the catalog's flag decides).</summary>
    public static void Guard(MllmSample s)
    {
        foreach (var hex in s.Hexes)
            if (EmojiCatalog.Default[hex].HeldOut)
                throw new InvalidOperationException($"an MLLM {s.Task} sample shows held-out entity {EmojiCatalog.Default[hex]}: it must never reach generator training");
    }
}
