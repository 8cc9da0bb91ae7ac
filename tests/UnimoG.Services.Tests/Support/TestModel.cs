using UnimoG.Engines.Inference;
using UnimoG.Modeling.Pipelines;
using UnimoG.TestSupport;

// Leak checks count live tensors process-wide and the CLI tests redirect the console: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace UnimoG.Services.Tests.Support;

/// <summary>
/// The model the service tests run: an untrained mini model made once per test run by the real generator
/// (<c>unimog models init-mini</c>, seed 7) in a temporary folder, with LLaMA-2's tokenizer from ../shared.
/// </summary>
public static class TestModel
{
    private static readonly Lazy<string> LazyFolder = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"unimog-services-tests-{Environment.ProcessId}", "unimog-mini");
        if (!File.Exists(Path.Combine(dir, "model_index.json"))) PlaceholderModel.Create(dir, seed: 7);
        return dir;
    });

    public static string Folder => LazyFolder.Value;

    public static string Tokenizer => Path.Combine(RepoPaths.Shared, "tokenizers", "llama2", "tokenizer.model");

    public static ModelOptions Options => new() { Path = Folder, TokenizerPath = Tokenizer };

    public static byte[] Png(int width, int height, byte r, byte g, byte b, byte a = 255)
    {
        var rgba = new byte[width * height * 4];
        for (var i = 0; i < rgba.Length; i += 4) (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = (r, g, b, a);
        var info = new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul);
        using var bitmap = new SkiaSharp.SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A PNG of random pixels (so it does not compress away: cutting it truncates real pixel data).</summary>
    public static byte[] NoisePng(int width, int height, int seed = 1)
    {
        var rgba = new byte[width * height * 4];
        new Random(seed).NextBytes(rgba);
        for (var i = 3; i < rgba.Length; i += 4) rgba[i] = 255;
        var info = new SkiaSharp.SKImageInfo(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Unpremul);
        using var bitmap = new SkiaSharp.SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>RGBA pixels of a PNG.</summary>
    public static byte[] Pixels(byte[] png) => UnimoG.Imaging.ImageDecoder.Decode(png).Rgba;
}
