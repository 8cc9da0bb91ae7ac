using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

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
            if (File.Exists(target)) { scenes += Count(target); continue; }
            var members = Read(shard);
            var tmp = target + ".partial";
            using (var stream = File.Create(tmp))
            using (var tar = new TarWriter(stream, TarEntryFormat.Ustar, leaveOpen: false))
            {
                foreach (var key in members.Keys.Where(k => members[k].ContainsKey("json")).OrderBy(k => k, StringComparer.Ordinal))
                {
                    var m = members[key];
                    var record = JsonNode.Parse(m["json"])!.AsObject();
                    var caption = (string?)record["caption_en"] ?? throw new InvalidDataException($"{shard}: {key}.json has no caption_en");
                    var entities = record["entities"]!.AsArray().Select(e => e!.AsObject())
                        .Select(e => (Phrase: (string)e["name_en"]!, Start: (int)e["span_en"]![0]!, End: (int)e["span_en"]![1]!, Layer: (string)e["layer"]!))
                        .OrderBy(e => e.Start).ToList();
                    var meta = new JsonObject
                    {
                        ["entities"] = new JsonArray(entities.Select(e => (JsonNode)new JsonObject { ["phrase"] = e.Phrase, ["start"] = e.Start, ["end"] = e.End }).ToArray()),
                    };
                    Add(tar, $"{key}.png", m["png"]);
                    Add(tar, $"{key}.txt", Encoding.UTF8.GetBytes(caption));
                    Add(tar, $"{key}.json", Encoding.UTF8.GetBytes(meta.ToJsonString()));
                    for (var i = 0; i < entities.Count; i++)
                    {
                        var layerExt = entities[i].Layer[(key.Length + 1)..];
                        Add(tar, $"{key}.layer{i}.png", m.TryGetValue(layerExt, out var bytes) ? bytes : throw new InvalidDataException($"{shard}: {entities[i].Layer} is missing"));
                    }
                    scenes++;
                }
            }
            File.Move(tmp, target, overwrite: true);
        }
        return scenes;
    }

    /// <summary>Members grouped by key (the name up to the first dot) and extension (the rest).</summary>
    private static Dictionary<string, Dictionary<string, byte[]>> Read(string shard)
    {
        var result = new Dictionary<string, Dictionary<string, byte[]>>(StringComparer.Ordinal);
        using var stream = File.OpenRead(shard);
        using var tar = new TarReader(stream);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
            var name = Path.GetFileName(entry.Name);
            var dot = name.IndexOf('.');
            if (dot <= 0) continue;
            using var ms = new MemoryStream();
            entry.DataStream.CopyTo(ms);
            var key = name[..dot];
            if (!result.TryGetValue(key, out var m)) result[key] = m = new(StringComparer.Ordinal);
            m[name[(dot + 1)..]] = ms.ToArray();
        }
        return result;
    }

    private static int Count(string shard) => Read(shard).Count(kv => kv.Value.ContainsKey("json"));

    private static void Add(TarWriter tar, string name, byte[] data)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(data), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            ModificationTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
        };
        tar.WriteEntry(entry);
    }
}
