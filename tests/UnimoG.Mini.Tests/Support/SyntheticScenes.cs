using UnimoG.EmojiWorld;
using UnimoG.EmojiWorld.Tests;
using UnimoG.Mini.Data;
using UnimoG.Imaging;

namespace UnimoG.Mini.Tests.Support;

/// <summary>EmojiWorld scenes composed in the test from <see cref="SyntheticArt"/> (no network, no installed art).</summary>
public sealed class SyntheticWorld : IDisposable
{
    private readonly SyntheticArt _art = new();
    public EmojiArt Art { get; }
    public Composer Composer { get; }

    public SyntheticWorld()
    {
        Art = _art.Open();
        Composer = new Composer(Art);
    }

    public Scene Scene(Split split, long index, long seed = 0)
    {
        var c = Composer.Compose(split, seed, index);
        return new Scene(c.Key, c.Rendered.Rgb, c.Record, c.Rendered.Entities.Select(e => PngEncoder.EncodeRgba(e.Layer, 64, 64)).ToList());
    }

    public SceneSet Scenes(Split split, int count, DataUse use, long seed = 0) =>
        new(Enumerable.Range(0, count).Select(i => Scene(split, i, seed)).ToList(), split.ToString().ToLowerInvariant(), use);

    /// <summary>Writes <paramref name="count"/> scenes of a split as shards into a fresh temporary folder.</summary>
    public string Shards(Split split, int count, int shardSize = 10)
    {
        var folder = Path.Combine(Path.GetTempPath(), "mini-shards-" + Guid.NewGuid().ToString("N"));
        SceneShards.Write(Composer, folder, new ComposeOptions(split, 0, 0, count, shardSize, 2));
        return folder;
    }

    public void Dispose()
    {
        Art.Dispose();
        _art.Dispose();
    }
}

/// <summary>A temporary folder deleted at the end of the test.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mini-test-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
