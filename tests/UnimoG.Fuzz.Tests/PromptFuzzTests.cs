using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using UnimoG.Engines;
using UnimoG.Text.Prompts;
using Xunit.Abstractions;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Fuzz.Tests;

/// <summary>A fuzzed prompt: text (placeholder form) or parts, images, and the limits.</summary>
public sealed record PromptCase(string Text, ImageInputCase[] Images, bool AsParts, PromptOptions Options)
{
    public override string ToString() =>
        $"{(AsParts ? "parts" : "text")} {PromptGen.Escape(Text)} images [{string.Join("; ", Images.AsEnumerable())}] max {Options.MaxImages}";

    /// <summary>Parts form: the text split at its placeholders, each placeholder replaced by the next image.</summary>
    public List<PromptInput> Parts()
    {
        var parts = new List<PromptInput>();
        int next = 0;
        foreach (var piece in Text.Split("<img1>"))
        {
            parts.Add(new PromptInput.Text(piece));
            if (next < Images.Length) parts.Add(Images[next++].Input);
        }
        return parts;
    }

    public static IEnumerable<PromptCase> Shrink(PromptCase c)
    {
        for (int i = 0; i < c.Images.Length; i++) yield return c with { Images = c.Images.Where((_, j) => j != i).ToArray() };
        foreach (var t in Strings.Shrink(c.Text)) yield return c with { Text = t };
    }
}

/// <summary>
/// The prompt parser (<see cref="MultimodalPrompt"/>) and the contract's conversion (<see cref="PromptConversion"/>):
/// any text and any images give a prompt or a <see cref="PromptException"/> (<see cref="InvalidFieldException"/> through
/// the contract) naming a field, never another exception and never a hang.
/// </summary>
public class PromptFuzzTests(ITestOutputHelper output)
{
    private static readonly Arbitrary<PromptCase> Cases = Arb.From(
        from text in PromptGen.Text
        from images in PromptGen.ImageList
        from parts in Gen.Elements(false, false, true)
        from options in PromptGen.Options
        select new PromptCase(text, images, parts, options), PromptCase.Shrink);

    [Fact]
    public void Prompts_parse_or_fail_naming_a_field() =>
        Fuzz.Run(output, "prompt parser", Cases, CheckParse, share: 0.6);

    [Fact]
    public void Contract_prompts_convert_or_fail_naming_a_field() =>
        Fuzz.Run(output, "prompt conversion", Cases, CheckConversion, share: 0.4);

    internal static void CheckParse(PromptCase c)
    {
        MultimodalPrompt prompt;
        try
        {
            prompt = c.AsParts
                ? MultimodalPrompt.Create(c.Parts(), null, null, c.Options)
                : MultimodalPrompt.Create(null, c.Text, c.Images.Select(i => i.Input).ToList(), c.Options);
        }
        catch (PromptException e)
        {
            Assert.False(string.IsNullOrEmpty(e.Field));
            Assert.StartsWith(e.Field, e.Message, StringComparison.Ordinal);
            return;
        }
        Assert.NotEmpty(prompt.Parts);
        Assert.True(prompt.Images.Count <= c.Options.MaxImages, $"{prompt.Images.Count} images accepted, limit {c.Options.MaxImages}");
        foreach (var part in prompt.Parts)
        {
            if (part is PromptPart.Image im) Assert.InRange(im.ImageIndex, 0, prompt.Images.Count - 1);
            else if (part is PromptPart.Text t) Assert.NotEmpty(t.Value);
        }
        Assert.Equal(64, prompt.ContentKey("m").Length);
        _ = prompt.ToString();
    }

    internal static void CheckConversion(PromptCase c)
    {
        var store = new ImageStore(1 << 20);
        var proto = new V1.Prompt();
        if (c.AsParts)
        {
            foreach (var part in c.Parts())
                proto.Parts.Add(part switch
                {
                    PromptInput.Text t when t.Value.Length % 5 == 4 => new V1.PromptPart(), // neither text nor image
                    PromptInput.Text t => new V1.PromptPart { Text = t.Value },
                    _ => new V1.PromptPart { Image = Wire(part, store) },
                });
        }
        else
        {
            proto.Text = c.Text;
            proto.Images.AddRange(c.Images.Select(i => Wire(i.Input, store)));
        }
        try
        {
            PromptConversion.CheckLength(proto, 200, "Test:MaxPromptChars");
            var prompt = PromptConversion.ToMultimodal(proto, c.Options, store);
            Assert.NotEmpty(prompt.Parts);
        }
        catch (InvalidFieldException e)
        {
            Assert.StartsWith("prompt", e.Field, StringComparison.Ordinal);
        }
    }

    // Images travel as bytes or by SHA-256: known (uploaded), unknown, or not hex at all.
    private static V1.ImageInput Wire(PromptInput input, ImageStore store) => input switch
    {
        PromptInput.Image im when im.Bytes.Length % 3 == 1 => new V1.ImageInput { Sha256 = store.Put(im.Bytes) },
        PromptInput.Image im when im.Bytes.Length % 7 == 2 => new V1.ImageInput { Sha256 = "<img1>\r\n" + new string('f', im.Bytes.Length) },
        PromptInput.Image im => new V1.ImageInput { Data = ByteString.CopyFrom(im.Bytes) },
        PromptInput.Text t => new V1.ImageInput { Sha256 = t.Value },
        _ => new V1.ImageInput(),
    };
}

/// <summary>Shrinking of strings: halves first (fast), then single characters of short strings.</summary>
public static class Strings
{
    public static IEnumerable<string> Shrink(string s)
    {
        if (s.Length == 0) yield break;
        yield return "";
        if (s.Length > 1)
        {
            yield return s[..(s.Length / 2)];
            yield return s[(s.Length / 2)..];
        }
        if (s.Length <= 64)
            for (int i = 0; i < s.Length; i++) yield return s.Remove(i, 1);
    }
}
