using System.Text.Json;
using UnimoG.Data.Shards;
using UnimoG.EmojiWorld;
using UnimoG.Imaging;

namespace UnimoG.Mini.Data;

/// <summary>One EmojiWorld scene in memory: RGB pixels [64*64*3], its record, and each entity layer's PNG (decoded on demand).</summary>
public sealed record Scene(string Key, byte[] Rgb, SampleRecord Record, IReadOnlyList<byte[]> LayerPngs)
{
    /// <summary>Entity <paramref name="i"/>'s layer: unpremultiplied RGBA [64*64*4]; alpha is its visible coverage.</summary>
    public byte[] Layer(int i) => ImageDecoder.Decode(LayerPngs[i]).Rgba;
}

/// <summary>Which scenes a data stream may hold: generator training may see seen entities only (the <c>train</c> split).</summary>
public enum DataUse
{
    /// <summary>Any trainable part of the generator (VAE, MLLM, tokenizer, U-Net): held-out entities are refused.</summary>
    Generator,
    /// <summary>Evaluation of the generator's parts (held-out PSNR, zero-shot accuracy): any split.</summary>
    Evaluation,
    /// <summary>EmojiBench's evaluator networks, which must recognise held-out entities: any split.</summary>
    Evaluator,
}

/// <summary>
/// The scenes of EmojiWorld shard folders (<c>emojiworld compose --out</c>), loaded into memory in index order. For
/// <see cref="DataUse.Generator"/> the manifest must be of the <c>train</c> split and every record is checked: a
/// held-out entity (by the record's flag or by the catalog) fails the load naming the scene.
/// </summary>
public sealed class SceneSet
{
    public IReadOnlyList<Scene> Scenes { get; }
    public string Split { get; }
    public DataUse Use { get; }

    public SceneSet(IReadOnlyList<Scene> scenes, string split, DataUse use)
    {
        Scenes = scenes;
        Split = split;
        Use = use;
        if (use == DataUse.Generator) HeldOutGuard.Check(scenes.Select(s => s.Record));
    }

    public int Count => Scenes.Count;
    public Scene this[int i] => Scenes[i];

    /// <summary>Loads up to <paramref name="max"/> scenes of every manifest in <paramref name="folder"/> (each a split's shards).</summary>
    public static SceneSet Load(string folder, DataUse use, int max = int.MaxValue)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"EmojiWorld shard folder not found: {folder}");
        var manifests = Directory.GetFiles(folder, "emojiworld-*.json").Order(StringComparer.Ordinal).ToList();
        if (manifests.Count != 1)
            throw new InvalidDataException(manifests.Count == 0
                ? $"{folder}: no emojiworld-{{split}}.json manifest (make the scenes with `unimog emojiworld compose --out {folder}`)"
                : $"{folder}: several manifests ({string.Join(", ", manifests.Select(Path.GetFileName))}); use one folder per split");
        var manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(manifests[0]))
            ?? throw new InvalidDataException($"{manifests[0]}: empty manifest");
        if (manifest.Format != SceneShards.Format) throw new InvalidDataException($"{manifests[0]}: format '{manifest.Format}', expected '{SceneShards.Format}'");
        if (use == DataUse.Generator && manifest.Split != "train")
            throw new InvalidDataException($"{manifests[0]}: split '{manifest.Split}'; generator training reads the train split only (held-out entities must stay unseen)");
        var scenes = new List<Scene>();
        foreach (var shard in manifest.Shards.OrderBy(s => s.First))
        {
            if (scenes.Count >= max) break;
            var path = Path.Combine(folder, shard.Name);
            if (!File.Exists(path)) throw new FileNotFoundException($"{manifests[0]} lists {shard.Name}, which is missing", path);
            scenes.AddRange(ReadShard(path).Take(max - scenes.Count));
        }
        if (scenes.Count == 0) throw new InvalidDataException($"{folder}: the manifest lists no finished shard");
        return new SceneSet(scenes, manifest.Split, use);
    }

    /// <summary>The scenes of one tar shard, in order; members {key}.png, .json and .layer{i}.png.</summary>
    public static IEnumerable<Scene> ReadShard(string path)
    {
        foreach (var sample in ShardReader.Read(path))
        {
            var key = sample.Key;
            if (sample.Error is { } error) throw new InvalidDataException($"{path}: scene {key}: {error}");
            if (!sample.Members.TryGetValue("png", out var png) || !sample.Members.TryGetValue("json", out var json))
                throw new InvalidDataException($"{path}: scene {key} lacks its .png or .json member");
            var layers = new SortedDictionary<int, byte[]>();
            foreach (var (ext, data) in sample.Members)
                if (ext.StartsWith("layer", StringComparison.Ordinal) && ext.EndsWith(".png", StringComparison.Ordinal)
                    && int.TryParse(ext["layer".Length..^4], out var i)) layers[i] = data;
            var record = SampleRecord.Parse(json);
            var image = ImageDecoder.Decode(png);
            if (image.Width != MiniConfigs.ImageSize || image.Height != MiniConfigs.ImageSize) throw new InvalidDataException($"{path}: scene {key} is {image.Width}x{image.Height}, expected 64x64");
            if (layers.Count != record.Entities.Count) throw new InvalidDataException($"{path}: scene {key} has {layers.Count} layers for {record.Entities.Count} entities");
            yield return new Scene(key, image.ToRgb(null), record, layers.Values.ToList());
        }
    }
}

/// <summary>The rule every generator data stream obeys: no held-out entity, by the record's flag or by the catalog.</summary>
public static class HeldOutGuard
{
    public static void Check(IEnumerable<SampleRecord> records)
    {
        var catalog = EmojiCatalog.Default;
        foreach (var r in records)
        {
            if (r.Split != "train") throw new InvalidDataException($"scene {r.Key} is of split '{r.Split}': generator training reads the train split only");
            foreach (var e in r.Entities)
            {
                var known = catalog.Entities.FirstOrDefault(c => string.Equals(c.Hex, e.Hex, StringComparison.OrdinalIgnoreCase));
                if (e.HeldOut || known is { HeldOut: true })
                    throw new InvalidDataException($"scene {r.Key} shows held-out entity {known?.ToString() ?? e.NameEn + " (" + e.Hex + ")"}: it must never reach generator training");
            }
        }
    }

    /// <summary>The catalog entities generator training may see.</summary>
    public static IReadOnlyList<Entity> SeenEntities => EmojiCatalog.Default.Entities.Where(e => !e.HeldOut).ToList();
}
