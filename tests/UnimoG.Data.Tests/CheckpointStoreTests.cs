using System.Security.Cryptography;
using System.Text.Json.Nodes;
using UnimoG.Data.Checkpoints;

namespace UnimoG.Data.Tests;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unimog-ckpt-").FullName;
    private readonly List<string> _warnings = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CheckpointStore Store() => CheckpointStore.ForRun(_dir, _warnings.Add);

    private static void Files(string dir, string text)
    {
        File.WriteAllText(Path.Combine(dir, "state.json"), text);
        Directory.CreateDirectory(Path.Combine(dir, "unet"));
        File.WriteAllBytes(Path.Combine(dir, "unet", "w.bin"), [1, 2, 3]);
    }

    [Fact]
    public void A_written_checkpoint_lists_every_file_with_its_size_and_SHA256()
    {
        var path = Store().Write(500, d => Files(d, "{}"));
        Assert.Equal(Path.Combine(_dir, "checkpoints", "step-00000500"), path);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(path, CheckpointManifest.FileName)))!;
        Assert.Equal(("unimog-checkpoint/1", 500L), ((string)manifest["format"]!, (long)manifest["step"]!));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(new byte[] { 1, 2, 3 })), (string)manifest["files"]!["unet/w.bin"]!["sha256"]!);
        Assert.Equal(2L, (long)manifest["files"]!["state.json"]!["bytes"]!);
        Assert.Empty(Directory.GetDirectories(Store().Root, ".tmp-*"));
        var info = Assert.Single(Store().List());
        Assert.True(info.Valid);
        Assert.NotNull(info.CreatedUtc);
    }

    [Fact]
    public void The_newest_intact_checkpoint_wins_and_damaged_ones_are_reported()
    {
        var store = Store();
        store.Write(1, d => Files(d, "one"));
        var two = store.Write(2, d => Files(d, "two"));
        var three = store.Write(3, d => Files(d, "three"));
        File.WriteAllText(Path.Combine(three, "state.json"), "THREE");                    // same size, other bytes
        File.Delete(Path.Combine(two, CheckpointManifest.FileName));
        Assert.Equal(1, store.NewestValid()!.Step);
        Assert.Equal(2, _warnings.Count);
        Assert.Contains("does not match its SHA-256", _warnings[0]);
        Assert.Contains("manifest.json is missing", _warnings[1]);
        // Sizes only (what pruning checks) cannot see the changed bytes.
        Assert.True(store.List(hashes: false).First(c => c.Step == 3).Valid);
    }

    [Fact]
    public void Pruning_keeps_the_newest_intact_ones_and_removes_temporaries()
    {
        var store = Store();
        foreach (var s in new[] { 10, 20, 30, 40 }) store.Write(s, d => Files(d, $"{s}"));
        Directory.CreateDirectory(Path.Combine(store.Root, ".tmp-step-00000050-x"));
        store.Prune(keepLast: 2);
        Assert.Equal([40L, 30L], store.List().Select(c => c.Step));
        Assert.Empty(Directory.GetDirectories(store.Root, ".tmp-*"));
    }

    [Fact]
    public void A_failed_write_leaves_nothing_behind()
    {
        var store = Store();
        Assert.Throws<IOException>(() => store.Write(7, _ => throw new IOException("disk full")));
        Assert.Empty(Directory.GetDirectories(store.Root));
        Assert.Null(store.NewestValid());
    }
}
