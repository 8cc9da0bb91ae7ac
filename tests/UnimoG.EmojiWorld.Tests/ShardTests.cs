using System.Formats.Tar;
using System.Text.RegularExpressions;
using UnimoG.Imaging;

namespace UnimoG.EmojiWorld.Tests;

public class ShardTests(SyntheticArtFixture fx) : IClassFixture<SyntheticArtFixture>, IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "emojiworld-shards-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_out, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Shards_are_readable_tars_with_WebDataset_member_names_and_notice()
    {
        var manifest = SceneShards.Write(fx.Composer, _out, new ComposeOptions(Split.Train, 3, 0, 25, ShardSize: 10, Threads: 2));
        Assert.Equal(["emojiworld-train-00000.tar", "emojiworld-train-00001.tar", "emojiworld-train-00002.tar"], manifest.Shards.Select(s => s.Name));
        Assert.Equal([10, 10, 5], manifest.Shards.Select(s => s.Count));
        Assert.True(File.Exists(Path.Combine(_out, "NOTICE")));
        Assert.Contains("Emoji artwork: Noto Emoji, Copyright Google Inc., Apache License 2.0", File.ReadAllText(Path.Combine(_out, "NOTICE")));
        Assert.Equal(File.ReadAllText("/usr/share/common-licenses/Apache-2.0"), File.ReadAllText(Path.Combine(_out, "LICENSE-Apache-2.0")));
        Assert.True(File.Exists(Path.Combine(_out, "emojiworld-train.json")));
        Assert.Empty(Directory.GetFiles(_out, "*.tmp"));

        var name = new Regex(@"^(train_\d{8})\.(png|txt|json|layer\d+\.png)$");
        var keys = new List<string>();
        foreach (var shard in manifest.Shards)
        {
            using var stream = File.OpenRead(Path.Combine(_out, shard.Name));
            using var reader = new TarReader(stream);
            var members = new List<(string Name, byte[] Data)>();
            while (reader.GetNextEntry() is { } entry)
            {
                Assert.Equal(TarEntryFormat.Ustar, entry.Format);
                Assert.Equal(TarEntryType.RegularFile, entry.EntryType);
                using var m = new MemoryStream();
                entry.DataStream!.CopyTo(m);
                members.Add((entry.Name, m.ToArray()));
            }
            // Members of a sample are consecutive: key.png, key.txt, key.json, key.layer0.png, ...
            foreach (var group in members.GroupBy(m => name.Match(m.Name).Groups[1].Value))
            {
                Assert.All(group, m => Assert.Matches(name, m.Name));
                var k = group.Key;
                keys.Add(k);
                var record = SampleRecord.Parse(group.Single(m => m.Name == $"{k}.json").Data);
                Assert.Equal(record.CaptionEn, System.Text.Encoding.UTF8.GetString(group.Single(m => m.Name == $"{k}.txt").Data));
                var expected = new[] { $"{k}.png", $"{k}.txt", $"{k}.json" }.Concat(record.Entities.Select(e => e.Layer));
                Assert.Equal(expected, group.Select(m => m.Name));
                var scene = group.Single(m => m.Name == $"{k}.png").Data;
                var (_, w, h) = ImageDecoder.Decode(scene);
                Assert.Equal((64, 64), (w, h));
                // PNG colour type (IHDR byte 25): the scene is RGB (2), layers are RGBA (6).
                Assert.Equal(2, scene[25]);
                Assert.All(group.Where(m => Regex.IsMatch(m.Name, @"\.layer\d+\.png$")), m => Assert.Equal(6, m.Data[25]));
            }
        }
        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"train_{i:D8}"), keys);
    }

    [Fact]
    public void An_interrupted_run_resumes_and_threads_do_not_change_the_bytes()
    {
        var options = new ComposeOptions(Split.Bench, 8, 0, 12, ShardSize: 4, Threads: 1);
        var first = SceneShards.Write(fx.Composer, _out, options);
        var bytes = first.Shards.ToDictionary(s => s.Name, s => File.ReadAllBytes(Path.Combine(_out, s.Name)));
        // Lose a shard (as if killed while writing it) and run again with other threads: only it is redone, identically.
        File.Delete(Path.Combine(_out, "emojiworld-bench-00001.tar"));
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(_out, "emojiworld-bench-00000.tar"));
        var second = SceneShards.Write(fx.Composer, _out, options with { Threads = 3 });
        Assert.Equal(first, second, new ManifestComparer());
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(_out, "emojiworld-bench-00000.tar")));
        foreach (var (n, b) in bytes)
            Assert.True(File.ReadAllBytes(Path.Combine(_out, n)).AsSpan().SequenceEqual(b), $"{n} changed");
        // Another seed into the same folder is refused.
        var e = Assert.Throws<InvalidDataException>(() => SceneShards.Write(fx.Composer, _out, options with { Seed = 9 }));
        Assert.Contains("belongs to another run", e.Message);
        Assert.Throws<ArgumentException>(() => SceneShards.Write(fx.Composer, _out, options with { Start = 2 }));
    }

    private sealed class ManifestComparer : IEqualityComparer<Manifest>
    {
        public bool Equals(Manifest? a, Manifest? b) =>
            a is not null && b is not null && (a.Format, a.Split, a.Seed, a.ShardSize, a.CatalogSha256, a.Art) == (b.Format, b.Split, b.Seed, b.ShardSize, b.CatalogSha256, b.Art)
            && a.Shards.SequenceEqual(b.Shards);
        public int GetHashCode(Manifest m) => m.Seed.GetHashCode();
    }
}
