using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using UnimoG.Imaging;
using UnimoG.TestSupport;

namespace UnimoG.DataPrep.Tests;

/// <summary>Paths of tests/data/dataprep and helpers to build inputs.</summary>
internal static class TestData
{
    public static string Dir => Path.Combine(RepoPaths.Root, "tests", "data", "dataprep");
    public static string Vocab => Path.Combine(Dir, "vocab.txt");
    public static string GroundingModel => Path.Combine(Dir, "tiny_grounding_dino.onnx");
    public static string SamEncoder => Path.Combine(Dir, "tiny_sam_encoder.onnx");
    public static string SamDecoder => Path.Combine(Dir, "tiny_sam_decoder.onnx");

    private static readonly Lazy<JsonElement> LazyFixtures =
        new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Dir, "fixtures.json"))).RootElement.Clone());

    public static JsonElement Fixtures => LazyFixtures.Value;

    public static string MultiBench(params string[] parts) =>
        Path.Combine([RepoPaths.Shared, "benchmarks", "multibench", .. parts]);

    /// <summary>A temp folder removed on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() => Directory.CreateDirectory(Path);
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "unimog-prep-" + Guid.NewGuid().ToString("N")[..12]);
        public string Sub(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Writes a tar with the given members in order.</summary>
    public static void WriteTar(string path, IEnumerable<(string Name, byte[] Data)> members)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        using var file = File.Create(path);
        using var writer = new TarWriter(file, TarEntryFormat.Ustar);
        foreach (var (name, data) in members)
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
    }

    public static Dictionary<string, byte[]> ReadTar(string path)
    {
        var result = new Dictionary<string, byte[]>();
        using var file = File.OpenRead(path);
        using var reader = new TarReader(file);
        while (reader.GetNextEntry() is { } e)
        {
            using var ms = new MemoryStream();
            e.DataStream?.CopyTo(ms);
            result.Add(e.Name, ms.ToArray());
        }
        return result;
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Black image with filled rectangles [x0, x1) x [y0, y1) of the given colours.</summary>
    public static DecodedImage Scene(int w, int h, params (int X0, int Y0, int X1, int Y1, byte R, byte G, byte B)[] rects)
    {
        var img = DecodedImage.Solid(w, h, 0, 0, 0);
        foreach (var (x0, y0, x1, y1, r, g, b) in rects)
            for (var y = y0; y < y1; y++)
            for (var x = x0; x < x1; x++)
            {
                var i = (y * w + x) * 4;
                img.Rgba[i] = r; img.Rgba[i + 1] = g; img.Rgba[i + 2] = b;
            }
        return img;
    }
}
