using TorchSharp;
using UnimoG.EmojiWorld;
using UnimoG.Mini.Data;
using UnimoG.Modeling.Encoders;
using UnimoG.Text.Tokenizers;
using static TorchSharp.torch;

namespace UnimoG.Mini.Mllm;

/// <summary>
/// How well the frozen MLLM aligned images with names (docs/mini-model.md): greedy name and caption generation
/// on seen and held-out entities, and a nearest-neighbour check on visual tokens. Runs on the shipped folder
/// (<see cref="MllmFolder.Load"/>, F16 weights computed in float32).
/// </summary>
public sealed class MllmEvaluation(MllmEncoder encoder, LlamaSentencePieceTokenizer tokenizer, EmojiArt art)
{
    private const int Batch = 32;

    private int[] Tokens(string text) => tokenizer.Encode(text, addBos: false);

    /// <summary>Visual tokens [N, Q, D] of 64x64 RGB images.</summary>
    public Tensor VisualTokens(IReadOnlyList<byte[]> rgb)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var chunks = rgb.Chunk(Batch).Select(c => MiniMllm.VisualTokens(encoder.Vision, encoder.Adapter, encoder.Config, Images.ClipPixels(Images.ToUint8(c)))).ToList();
        return torch.cat(chunks).MoveToOuterDisposeScope();
    }

    /// <summary>Greedy answers to BOS "&lt;Img&gt;" image "&lt;/Img&gt;" + <paramref name="cue"/>, one per image.</summary>
    public List<string> Answer(IReadOnlyList<byte[]> rgb, string cue, int maxNewTokens)
    {
        var answers = new List<string>();
        var open = Tokens(MllmTasks.ImageOpen);
        var close = Tokens(MllmTasks.ImageClose + cue);
        foreach (var chunk in rgb.Chunk(Batch))
        {
            using var noGrad = torch.no_grad();
            using var scope = torch.NewDisposeScope();
            var visual = VisualTokens(chunk);                                                          // [B, Q, D]
            var b = chunk.Length;
            Tensor Embed(int[] ids) => encoder.Llm.model.embed_tokens.forward(torch.tensor(ids.Select(i => (long)i).ToArray())).unsqueeze(0).expand(b, -1, -1);
            var embeds = torch.cat([Embed([tokenizer.BosId, .. open]), visual, Embed(close)], 1);     // [B, L, D]
            var generated = encoder.Llm.GenerateFromEmbeds(embeds, null, new GreedyOptions { MaxNewTokens = maxNewTokens, EosTokenIds = [tokenizer.EosId], PadTokenId = tokenizer.EosId });
            for (var i = 0; i < b; i++)
            {
                var ids = generated[i].data<long>().Select(x => (int)x).TakeWhile(x => x != tokenizer.EosId).ToList();
                answers.Add(tokenizer.Decode(ids).Trim());
            }
        }
        return answers;
    }

    /// <summary>Share of exact name answers for (image, entity) pairs, per language.</summary>
    public Dictionary<string, double> NameAccuracy(IReadOnlyList<(byte[] Rgb, Entity Entity)> items, string prefix)
    {
        var result = new Dictionary<string, double>();
        foreach (var lang in new[] { "en", "zh" })
        {
            var answers = Answer(items.Select(i => i.Rgb).ToList(), MllmTasks.NameCue[lang], 8);
            result[$"{prefix}_name_{lang}"] = items.Zip(answers).Average(x => x.Second == MllmTasks.NameOf(x.First.Entity, lang) ? 1.0 : 0.0);
        }
        return result;
    }

    /// <summary>English captions of scenes: exact-match share and the share of the scene's entity names the caption mentions.</summary>
    public Dictionary<string, double> CaptionAccuracy(IReadOnlyList<Scene> scenes, string prefix)
    {
        var answers = Answer(scenes.Select(s => s.Rgb).ToList(), MllmTasks.CaptionCue["en"], 40);
        return new Dictionary<string, double>
        {
            [$"{prefix}_caption_exact"] = scenes.Zip(answers).Average(x => x.Second == x.First.Record.CaptionEn ? 1.0 : 0.0),
            [$"{prefix}_caption_name_recall"] = scenes.Zip(answers).SelectMany(x => x.First.Record.Entities.Select(e => x.Second.Contains(e.NameEn, StringComparison.Ordinal) ? 1.0 : 0.0)).Average(),
        };
    }

    /// <summary>
    /// Nearest neighbours of visual tokens (flattened, centred on their mean over the set, cosine): for entities with
    /// two cut-outs from different scenes, the share whose second cut-out's nearest first cut-out (among all those
    /// entities) is its own, and the mean cosine of same-entity and of different-entity pairs. The same check on the
    /// raw pixels is the baseline (<c>{prefix}_pixels_nn_top1</c>): two renderings of an emoji look alike to any metric.
    /// </summary>
    public Dictionary<string, double> NearestNeighbours(IReadOnlyList<(byte[] A, byte[] B)> pairs, string prefix)
    {
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var tokens = VisualTokens(pairs.Select(p => p.A).Concat(pairs.Select(p => p.B)).ToList()).flatten(1);
        var result = Neighbours(tokens, pairs.Count, prefix);
        var pixels = Images.ToUint8(pairs.Select(p => p.A).Concat(pairs.Select(p => p.B)).ToList()).to_type(ScalarType.Float32).flatten(1);
        result[$"{prefix}_pixels_nn_top1"] = Neighbours(pixels, pairs.Count, prefix)[$"{prefix}_nn_top1"];
        return result;
    }

    private static Dictionary<string, double> Neighbours(Tensor features, int n, string prefix)
    {
        using var scope = torch.NewDisposeScope();
        var centred = nn.functional.normalize(features - features.mean([0L], keepdim: true), dim: 1);
        var (a, b) = (centred[..n], centred[n..]);
        var sim = b.matmul(a.T);                                                                       // [E, E]
        var top1 = sim.argmax(1).eq(torch.arange(n, ScalarType.Int64)).to_type(ScalarType.Float64).mean().item<double>();
        var diag = sim.diagonal();
        var same = (double)diag.mean().item<float>();
        var different = (double)((sim.sum() - diag.sum()) / (n * (n - 1))).item<float>();
        return new Dictionary<string, double> { [$"{prefix}_nn_top1"] = top1, [$"{prefix}_cos_same"] = same, [$"{prefix}_cos_different"] = different, [$"{prefix}_nn_entities"] = n };
    }

    /// <summary>Reference sprites on white (as EmojiBench feeds them) of the given entities.</summary>
    public List<(byte[] Rgb, Entity Entity)> Sprites(IEnumerable<Entity> entities) =>
        entities.Select(e => (art.Sprite(e.Hex).RgbOnWhite(), e)).ToList();

    /// <summary>Up to <paramref name="max"/> entity cut-outs from scenes, with their catalog entities.</summary>
    public static List<(byte[] Rgb, Entity Entity)> CutOuts(SceneSet scenes, Func<Entity, bool> keep, int max)
    {
        var items = new List<(byte[], Entity)>();
        foreach (var s in scenes.Scenes)
            for (var i = 0; i < s.Record.Entities.Count && items.Count < max; i++)
                if (EmojiCatalog.Default[s.Record.Entities[i].Hex] is var e && keep(e)) items.Add((EntityImages.CutOut(s, i), e));
        return items;
    }

    /// <summary>For each entity, its cut-outs from its first two scenes (entities seen once are left out).</summary>
    public static List<(byte[] A, byte[] B)> CutOutPairs(SceneSet scenes, Func<Entity, bool> keep)
    {
        var first = new Dictionary<string, byte[]>();
        var pairs = new Dictionary<string, (byte[], byte[])>();
        foreach (var s in scenes.Scenes)
            for (var i = 0; i < s.Record.Entities.Count; i++)
            {
                var hex = s.Record.Entities[i].Hex;
                if (!keep(EmojiCatalog.Default[hex]) || pairs.ContainsKey(hex)) continue;
                if (first.TryGetValue(hex, out var a)) pairs[hex] = (a, EntityImages.CutOut(s, i));
                else first[hex] = EntityImages.CutOut(s, i);
            }
        return pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
    }
}
