using System.Text;
using System.Text.Json.Nodes;
using UnimoG.Data.Shards;

namespace UnimoG.Cli.Recipe;

/// <summary>
/// EmojiWorld train shards as data preparation's input (<c>unimog prep --entities metadata --masks alpha</c>): per scene
/// the image, <c>{key}.txt</c> (the English caption), <c>{key}.json</c> with <c>entities</c> as
/// <c>{"phrase", "start", "end"}</c> (from <c>name_en</c>/<c>span_en</c>; shards composed before the composer wrote
/// <c>phrase</c>/<c>start</c>/<c>end</c> itself lack them) and the layers renamed <c>{key}.layer{i}.png</c> in caption
/// order. One output shard per input shard, written whole under a temporary name, so a rerun skips finished ones.
/// </summary>
internal static class PrepInput
{
    public static int Write(string trainDir, string outDir, CancellationToken cancel)
    {
        Directory.CreateDirectory(outDir);
        var scenes = 0;
        foreach (var shard in Directory.GetFiles(trainDir, "*.tar").OrderBy(p => p, StringComparer.Ordinal))
        {
            cancel.ThrowIfCancellationRequested();
            var target = Path.Combine(outDir, Path.GetFileName(shard));
            if (File.Exists(target)) { scenes += Scenes(target).Count(); continue; }
            var members = new List<(string, byte[])>();
            foreach (var sample in Scenes(shard))
            {
                members.AddRange(PrepSample(shard, sample));
                scenes++;
            }
            ShardWriter.WriteFile(target, members);
        }
        return scenes;
    }

    /// <summary>The scenes of a shard (samples with a record), in key order.</summary>
    private static IEnumerable<ShardSample<byte[]>> Scenes(string shard) =>
        ShardReader.Read(shard)
            .Select(s => s.Error is { } e ? throw new InvalidDataException($"{shard}: sample {s.Key}: {e}") : s)
            .Where(s => s.Members.ContainsKey("json")).OrderBy(s => s.Key, StringComparer.Ordinal);

    private static IEnumerable<(string, byte[])> PrepSample(string shard, ShardSample<byte[]> sample)
    {
        var (key, m) = (sample.Key, sample.Members);
        var record = JsonNode.Parse(m["json"])!.AsObject();
        var caption = (string?)record["caption_en"] ?? throw new InvalidDataException($"{shard}: {key}.json has no caption_en");
        var entities = record["entities"]!.AsArray().Select(e => e!.AsObject())
            .Select(e => (Phrase: (string)e["name_en"]!, Start: (int)e["span_en"]![0]!, End: (int)e["span_en"]![1]!, Layer: (string)e["layer"]!))
            .OrderBy(e => e.Start).ToList();
        var meta = new JsonObject
        {
            ["entities"] = new JsonArray(entities.Select(e => (JsonNode)new JsonObject { ["phrase"] = e.Phrase, ["start"] = e.Start, ["end"] = e.End }).ToArray()),
        };
        yield return ($"{key}.png", m["png"]);
        yield return ($"{key}.txt", Encoding.UTF8.GetBytes(caption));
        yield return ($"{key}.json", Encoding.UTF8.GetBytes(meta.ToJsonString()));
        for (var i = 0; i < entities.Count; i++)
        {
            var layerExt = entities[i].Layer[(key.Length + 1)..];
            yield return ($"{key}.layer{i}.png", m.TryGetValue(layerExt, out var bytes) ? bytes : throw new InvalidDataException($"{shard}: {entities[i].Layer} is missing"));
        }
    }
}
