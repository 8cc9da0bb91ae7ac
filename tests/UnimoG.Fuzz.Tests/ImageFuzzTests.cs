using FsCheck;
using FsCheck.Fluent;
using UnimoG.Imaging;
using Xunit.Abstractions;

namespace UnimoG.Fuzz.Tests;

/// <summary>A fuzzed image: a base file (corpus or bare magic bytes), edits, and the limits it is decoded under.</summary>
public sealed record ImageCase(string Base, byte[] Original, ByteEdit[] Edits, ImageLimits Limits)
{
    public byte[] Bytes => ByteEdits.Apply(Original, Edits);

    public override string ToString() =>
        $"{Base} + [{string.Join(", ", Edits.AsEnumerable())}] limits({Limits.MaxBytes}, {Limits.MaxSide}, {Limits.MaxPixels}) = {Convert.ToBase64String(Bytes)}";
}

/// <summary>
/// The image sniffer and decoder: any bytes give a <see cref="DecodedImage"/> within the limits or an
/// <see cref="ImageDecodeException"/>, never another exception, and never allocate more than the limits allow.
/// </summary>
public class ImageFuzzTests(ITestOutputHelper output)
{
    private static readonly ImageLimits Small = new() { MaxBytes = 1 << 16, MaxSide = 64, MaxPixels = 2048 };
    private static readonly ImageLimits Tiny = new() { MaxBytes = 4096, MaxSide = 8, MaxPixels = 64 };
    // What a deployment may configure (only positivity is validated): the decoder must not trust them blindly.
    private static readonly ImageLimits Huge = new() { MaxBytes = long.MaxValue, MaxSide = int.MaxValue, MaxPixels = long.MaxValue };

    private static readonly (string, byte[])[] Magic =
    [
        ("png-magic", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]), ("jpeg-magic", [0xFF, 0xD8, 0xFF]),
        ("webp-magic", [.. "RIFF"u8, 0, 0, 0, 0, .. "WEBP"u8]), ("gif-magic", [.. "GIF89a"u8]), ("empty", []),
    ];

    private static Arbitrary<ImageCase> Cases(params ImageLimits[] limits)
    {
        var bases = Corpus.Files("images").Concat(Magic).ToArray();
        var gen = from b in Gen.Elements(bases)
                  from edits in Gen.Frequency((1, Gen.Constant(Array.Empty<ByteEdit>())), (9, ByteEdits.Edits))
                  from l in Gen.Elements(limits)
                  select new ImageCase(b.Item1, b.Item2, edits, l);
        return Arb.From(gen, c => ByteEdits.Shrink(c.Edits).Select(e => c with { Edits = e }));
    }

    [Fact]
    public void Mutated_images_decode_or_fail_typed_within_the_limits() =>
        Fuzz.Run(output, "image decoder", Cases(Small, Tiny, ImageLimits.Default), c => CheckDecode(c.Bytes, c.Limits), share: 0.7);

    [Fact]
    public void Huge_configured_limits_never_overflow() =>
        Fuzz.Run(output, "image decoder (huge limits)", Cases(Huge), c => CheckHugeLimits(c.Bytes), share: 0.3);

    /// <summary>The corpus itself decodes (the seeds are real files), and can be rewritten.</summary>
    [Fact]
    public void Corpus_images_decode()
    {
        if (Environment.GetEnvironmentVariable("UNIMOG_FUZZ_WRITE_CORPUS") == "1") CorpusImages.Write();
        foreach (var (name, bytes) in Corpus.Files("images"))
        {
            if (name.StartsWith("header-only", StringComparison.Ordinal))
                Assert.Equal(ImageDecodeError.Truncated, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bytes)).Reason);
            else
                Assert.True(ImageDecoder.Decode(bytes).Width > 0, name);
        }
    }

    internal static void CheckDecode(byte[] bytes, ImageLimits limits)
    {
        _ = ImageFormatSniffer.Detect(bytes);
        _ = ImageFormatSniffer.Describe(bytes);
        var before = GC.GetAllocatedBytesForCurrentThread();
        DecodedImage? image = null;
        try
        {
            image = ImageDecoder.Decode(bytes, limits);
        }
        catch (ImageDecodeException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Pixels at most three times over (decode, orientation, slack), plus the file and a fixed overhead.
        var bound = 3 * 4 * Math.Min(limits.MaxPixels, (long)limits.MaxSide * limits.MaxSide) + 4L * bytes.Length + (1 << 20);
        Assert.True(allocated <= bound, $"allocated {allocated} bytes decoding {bytes.Length} bytes; the limits allow {bound}");
        if (image is null) return;
        Assert.True(image.Width <= limits.MaxSide && image.Height <= limits.MaxSide && (long)image.Width * image.Height <= limits.MaxPixels,
            $"decoded {image.Width}x{image.Height} beyond the limits");
        Assert.Equal(image.Width * image.Height * 4, image.Rgba.Length);
        Assert.Equal(image.Width, ImageDecoder.ReadHeader(bytes, limits).Width);
    }

    // Under limits that allow anything, a header may claim any size: decode only what is either small or impossible
    // (more bytes than an array holds), which must be refused as too large rather than overflow.
    internal static void CheckHugeLimits(byte[] bytes)
    {
        (ImageFormat Format, int Width, int Height) header;
        try
        {
            header = ImageDecoder.ReadHeader(bytes, Huge);
        }
        catch (ImageDecodeException)
        {
            return;
        }
        var rgbaBytes = (long)header.Width * header.Height * 4;
        if (rgbaBytes > 16 << 20 && rgbaBytes <= Array.MaxLength) return;
        try
        {
            var image = ImageDecoder.Decode(bytes, Huge);
            Assert.Equal(rgbaBytes, image.Rgba.LongLength);
        }
        catch (ImageDecodeException e) when (rgbaBytes <= 16 << 20 || e.Reason == ImageDecodeError.TooLarge)
        {
        }
    }
}
