using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using UnimoG.Data.Shards;

namespace UnimoG.EmojiWorld;

/// <summary>What to compose: scenes [Start, Start + Count) of a split, ShardSize scenes per tar file.</summary>
public sealed record ComposeOptions(Split Split, long Seed, long Start, long Count, int ShardSize = 1000, int Threads = 1);

/// <summary>
/// Writes composed scenes as WebDataset tar shards (<see cref="ShardWriter"/>: fixed times and owners, so equal
/// scenes give equal bytes): <c>emojiworld-{split}-{k:D5}.tar</c> holds scenes
/// [k*ShardSize, (k+1)*ShardSize). A shard is written to a temporary name and renamed when complete; the
/// manifest <c>emojiworld-{split}.json</c> lists finished shards, so an interrupted run resumes where it
/// stopped. NOTICE and LICENSE-Apache-2.0 are written beside the shards.
/// </summary>
public static class SceneShards
{
    public const string Format = "emojiworld/1";

    public static string ShardName(Split split, long shard) => $"emojiworld-{SplitName(split)}-{shard:D5}.tar";
    public static string ManifestName(Split split) => $"emojiworld-{SplitName(split)}.json";

    /// <summary>Composes and writes the scenes; returns the manifest. <paramref name="progress"/> receives scenes done.</summary>
    public static Manifest Write(Composer composer, string folder, ComposeOptions o, IProgress<long>? progress = null, CancellationToken cancel = default)
    {
        if (o.Count < 1) throw new ArgumentException($"Count must be at least 1 (got {o.Count}).");
        if (o.ShardSize < 1) throw new ArgumentException($"ShardSize must be at least 1 (got {o.ShardSize}).");
        if (o.Start < 0 || o.Start % o.ShardSize != 0)
            throw new ArgumentException($"Start ({o.Start}) must be a non-negative multiple of the shard size ({o.ShardSize}), so shard k always holds the same scenes.");
        Directory.CreateDirectory(folder);
        Notice.WriteTo(folder);
        var manifestPath = Path.Combine(folder, ManifestName(o.Split));
        var manifest = LoadOrCreate(manifestPath, o, composer.ArtVersion);
        long done = 0;
        for (var first = o.Start; first < o.Start + o.Count; first += o.ShardSize)
        {
            cancel.ThrowIfCancellationRequested();
            var count = (int)Math.Min(o.ShardSize, o.Start + o.Count - first);
            var name = ShardName(o.Split, first / o.ShardSize);
            var path = Path.Combine(folder, name);
            var existing = manifest.Shards.FirstOrDefault(s => s.Name == name);
            if (existing is not null && existing.Count >= count && File.Exists(path))
            {
                done += count;
                progress?.Report(done);
                continue; // finished by an earlier run
            }
            var samples = new (string Name, byte[] Data)[count][];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, o.Threads), CancellationToken = cancel }, i =>
            {
                samples[i] = composer.Compose(o.Split, o.Seed, first + i).Members().ToArray();
                progress?.Report(Interlocked.Increment(ref done));
            });
            ShardWriter.WriteFile(path, samples.SelectMany(x => x));
            var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
            manifest = manifest with
            {
                Shards = manifest.Shards.Where(s => s.Name != name).Append(new ShardInfo(name, first, count, sha)).OrderBy(s => s.First).ToList(),
            };
            Save(manifestPath, manifest);
        }
        return manifest;
    }

    private static Manifest LoadOrCreate(string path, ComposeOptions o, string art)
    {
        var fresh = new Manifest(Format, SplitName(o.Split), o.Seed, o.ShardSize, CatalogSha256(), art, []);
        if (!File.Exists(path)) return fresh;
        var old = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(path), JsonOptions)
            ?? throw new InvalidDataException($"{path}: empty manifest.");
        static object Run(Manifest m) => (m.Format, m.Split, m.Seed, m.ShardSize, m.CatalogSha256, m.Art);
        if (!Run(old).Equals(Run(fresh)))
            throw new InvalidDataException(
                $"{path} belongs to another run (seed {old.Seed}, shard size {old.ShardSize}, catalog {old.CatalogSha256[..12]}, art {old.Art}); "
                + $"this run has seed {o.Seed}, shard size {o.ShardSize}, catalog {fresh.CatalogSha256[..12]}, art {art}: use another --out folder.");
        return old;
    }

    private static void Save(string path, Manifest manifest)
    {
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, JsonSerializer.SerializeToUtf8Bytes(manifest, JsonOptions));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>SHA-256 of the embedded catalog tables: scenes of two runs match only if their catalogs do.</summary>
    public static string CatalogSha256()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in new[] { "EmojiWorld.entities.tsv", "EmojiWorld.backgrounds.tsv" })
        {
            using var s = EmojiCatalog.OpenResource(name);
            using var m = new MemoryStream();
            s.CopyTo(m);
            sha.AppendData(m.ToArray());
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    internal static string SplitName(Split split) => split.ToString().ToLowerInvariant();

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };
}

/// <summary>The shard index of one split in an output folder.</summary>
public sealed record Manifest(
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("split")] string Split,
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("shard_size")] int ShardSize,
    [property: JsonPropertyName("catalog_sha256")] string CatalogSha256,
    [property: JsonPropertyName("art")] string Art,
    [property: JsonPropertyName("shards")] IReadOnlyList<ShardInfo> Shards);

/// <summary>One finished shard: scenes [First, First + Count).</summary>
public sealed record ShardInfo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("first")] long First,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("sha256")] string Sha256);
