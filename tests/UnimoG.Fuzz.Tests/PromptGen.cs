using FsCheck;
using FsCheck.Fluent;
using UnimoG.Imaging;
using UnimoG.Text.Prompts;

namespace UnimoG.Fuzz.Tests;

/// <summary>A fuzzed image input: where it came from (for the report) and the input itself.</summary>
public sealed record ImageInputCase(string Description, PromptInput Input)
{
    public override string ToString() => Description;
}

/// <summary>Generators of prompt texts and images: the corpus lines cut up and spliced with the tokens the parser cares about.</summary>
public static class PromptGen
{
    // Placeholders right and wrong, line endings, the noncharacter .NET refuses to normalise, surrogates (paired and
    // lone), combining marks, NUL, and Chinese: what the parser, the Unicode check and NFC see.
    private static readonly string[] Tokens =
    [
        "<img1>", "<img2>", "<IMG3>", "<Img8>", "<img9>", "<img0>", "<img01>", "<img>", "<img1", "img1>", "<img 1>",
        "<img99999999999999999999>", "<img2147483648>", "<img٣>", "<img１>", "<", ">", "<<img1>>", "\r\n", "\r", "\n",
        "\uFFFE", "\uFFFF", "\uD83D\uDE00", "\uD800", "\uDC00", "e\u0301", "\u0301", "\0", " ", "\t", "穿着", "的衣服", "a dog",
        "\u200B", "\u202E", "Å", "\u212B",
    ];

    private static readonly Lazy<string[]> Lines = new(() =>
        Corpus.Files("prompts", "*.txt").SelectMany(f => System.Text.Encoding.UTF8.GetString(f.Bytes).Split('\n'))
            .Where(l => l.Length > 0).Select(l => l.Replace("\\r", "\r").Replace("\\n", "\n")).ToArray());

    private static Gen<string> Piece =>
        Gen.Frequency(
            (5, Gen.Elements(Tokens)),
            (3, Gen.Elements(Lines.Value)),
            // A slice of a corpus line: cuts through placeholders and surrogate pairs.
            (2, from line in Gen.Elements(Lines.Value)
                from a in Gen.Choose(0, line.Length)
                from b in Gen.Choose(a, line.Length)
                select line[a..b]),
            (2, Gen.Choose(0, 0xFFFF).Select(c => ((char)c).ToString())));

    public static Gen<string> Text { get; } =
        Gen.Frequency((1, Gen.Constant("")), (10, Gen.Choose(1, 12).SelectMany(n => Piece.ArrayOf(n)).Select(string.Concat)));

    private static readonly Lazy<(string Name, byte[] Bytes)[]> Images = new(() => [.. Corpus.Files("images")]);

    public static Gen<ImageInputCase> Image { get; } =
        Gen.Frequency(
            (5, Gen.Elements(Images.Value).Select(f => new ImageInputCase(f.Name, new PromptInput.Image(f.Bytes)))),
            (3, from f in Gen.Elements(Images.Value)
                from edits in ByteEdits.Edits
                select new ImageInputCase($"{f.Name} + [{string.Join(", ", edits.AsEnumerable())}]", new PromptInput.Image(ByteEdits.Apply(f.Bytes, edits)))),
            (1, Gen.Choose(0, 64).Select(n => new ImageInputCase($"{n} random bytes", new PromptInput.Image(Noise(n))))),
            (1, Gen.Choose(1, 6).Select(n => new ImageInputCase($"{n}x{n} pixels", new PromptInput.Pixels(new DecodedImage(n, n, Noise(n * n * 4)))))),
            (1, Text.Select(t => new ImageInputCase($"text {Escape(t)} in place of an image", new PromptInput.Text(t)))));

    public static Gen<ImageInputCase[]> ImageList { get; } =
        Gen.Frequency((3, Gen.Choose(0, 3)), (1, Gen.Choose(4, 10))).SelectMany(n => Image.ArrayOf(n));

    /// <summary>Limits as a service might set them: images allowed 0..9, small or default image limits.</summary>
    public static Gen<PromptOptions> Options { get; } =
        from max in Gen.Choose(0, 9)
        from small in Gen.Elements(true, false)
        select new PromptOptions { MaxImages = max, ImageLimits = small ? new ImageLimits { MaxSide = 64, MaxPixels = 4096 } : ImageLimits.Default };

    private static byte[] Noise(int n)
    {
        var b = new byte[n];
        new Random(n).NextBytes(b);
        return b;
    }

    /// <summary>A string as a C# literal would write it (so a failure report can be pasted into a regression test).</summary>
    public static string Escape(string s) =>
        "\"" + string.Concat(s.Select(c => c switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            < ' ' or > '~' => $"\\u{(int)c:X4}",
            _ => c.ToString(),
        })) + "\"";
}
