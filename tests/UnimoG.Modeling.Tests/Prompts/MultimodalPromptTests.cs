using SkiaSharp;
using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using UnimoG.Text.Prompts;
using UnimoG.Modeling.Encoders;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Prompts;

public class MultimodalPromptTests
{
    private static readonly byte[] Dog = TestImages.Encode(4, 4, TestImages.Noise(4, 4, 10), SKEncodedImageFormat.Png);
    private static readonly byte[] Shirt = TestImages.Encode(5, 3, TestImages.Noise(5, 3, 11), SKEncodedImageFormat.Png);
    private static readonly byte[] Castle = TestImages.Encode(3, 6, TestImages.Noise(3, 6, 12), SKEncodedImageFormat.Png);

    private static PromptInput Img(byte[] bytes) => new PromptInput.Image(bytes);

    private static PromptException Fails(Action build) => Assert.Throws<PromptException>(build);

    [Fact]
    public void Text_with_placeholders_becomes_ordered_parts()
    {
        var prompt = MultimodalPrompt.FromText("<img1> wearing the clothes of <img2>", [Img(Dog), Img(Shirt)]);
        Assert.Equal(
            [new PromptPart.Image(0), new PromptPart.Text(" wearing the clothes of "), new PromptPart.Image(1)],
            prompt.Parts);
        Assert.Equal(2, prompt.Images.Count);
        Assert.Equal((4, 4), (prompt.Images[0].Pixels.Width, prompt.Images[0].Pixels.Height));
        Assert.Equal(PromptImage.HashOf(Shirt), prompt.Images[1].Sha256);
        Assert.Equal("<img1> wearing the clothes of <img2>", prompt.ToString());
    }

    [Fact]
    public void Chinese_prompts_work_the_same()
    {
        var prompt = MultimodalPrompt.FromText("<img1>穿着<img2>的衣服，站在<img3>前面。", [Img(Dog), Img(Shirt), Img(Castle)]);
        Assert.Equal(
            [new PromptPart.Image(0), new PromptPart.Text("穿着"), new PromptPart.Image(1),
             new PromptPart.Text("的衣服，站在"), new PromptPart.Image(2), new PromptPart.Text("前面。")],
            prompt.Parts);
    }

    [Fact]
    public void Both_forms_give_the_same_parts_and_content_key()
    {
        var fromText = MultimodalPrompt.FromText("A <img1> in front of <img2>", [Img(Dog), Img(Castle)]);
        var fromParts = MultimodalPrompt.FromParts(
            [new PromptInput.Text("A "), Img(Dog), new PromptInput.Text(" in front"), new PromptInput.Text(" of "), Img(Castle)]);
        Assert.Equal(fromText.Parts, fromParts.Parts);
        Assert.Equal(fromText.ContentKey(), fromParts.ContentKey());
        Assert.Equal(fromText.NormalizedForm(), fromParts.NormalizedForm());
    }

    [Fact]
    public void Content_key_ignores_encoding_details_but_not_content()
    {
        string Key(string text, params byte[][] images) =>
            MultimodalPrompt.FromText(text, images.Select(Img).ToList()).ContentKey("mllm-a");
        string baseKey = Key("café <img1>\nnext line", Dog);
        Assert.Equal(baseKey, Key("cafe\u0301 <img1>\r\nnext line", Dog)); // NFD and CR LF normalised
        Assert.NotEqual(baseKey, Key("café <img1>\nnext line ", Dog));     // whitespace is content (tokens differ)
        Assert.NotEqual(baseKey, Key("café <img1>\nnext line", Shirt));    // another image
        var prompt = MultimodalPrompt.FromText("café <img1>\nnext line", [Img(Dog)]);
        Assert.NotEqual(baseKey, prompt.ContentKey("mllm-b"));               // another model
        Assert.Matches("^[0-9a-f]{64}$", baseKey);
    }

    [Fact]
    public void A_placeholder_may_repeat_an_image()
    {
        var prompt = MultimodalPrompt.FromText("<img1> next to <IMG1>", [Img(Dog)]);
        Assert.Equal([new PromptPart.Image(0), new PromptPart.Text(" next to "), new PromptPart.Image(0)], prompt.Parts);
        Assert.Single(prompt.Images);
    }

    [Fact]
    public void A_placeholder_without_an_image_is_reported_where_it_is()
    {
        var ex = Fails(() => MultimodalPrompt.FromText("<img1> and <img3> play", [Img(Dog), Img(Shirt)]));
        Assert.Equal((PromptError.MissingImage, "text", 11), (ex.Code, ex.Field, ex.Position));
        Assert.Contains("<img3>", ex.Message);
        var none = Fails(() => MultimodalPrompt.FromText("一只<img1>", []));
        Assert.Equal((PromptError.MissingImage, "text", 2), (none.Code, none.Field, none.Position));
    }

    [Theory]
    [InlineData("a <img0> b", 2)]
    [InlineData("a <img> b", 2)]
    [InlineData("ab <img01>", 3)]
    public void Malformed_placeholders_are_reported(string text, int position)
    {
        var ex = Fails(() => MultimodalPrompt.FromText(text, [Img(Dog)]));
        Assert.Equal((PromptError.BadPlaceholder, "text", position), (ex.Code, ex.Field, ex.Position));
    }

    [Fact]
    public void An_image_never_referred_to_is_reported_by_index()
    {
        var ex = Fails(() => MultimodalPrompt.FromText("only <img1> here", [Img(Dog), Img(Shirt)]));
        Assert.Equal((PromptError.UnusedImage, "images[1]", (int?)null), (ex.Code, ex.Field, ex.Position));
    }

    [Fact]
    public void More_images_than_the_maximum_are_refused()
    {
        var nine = Enumerable.Repeat(Img(Dog), 9).ToList();
        string text = string.Concat(Enumerable.Range(1, 9).Select(i => $"<img{i}>"));
        var ex = Fails(() => MultimodalPrompt.FromText(text, nine));
        Assert.Equal((PromptError.TooManyImages, "images[8]"), (ex.Code, ex.Field));
        Assert.Equal(9, MultimodalPrompt.FromText(text, nine, new PromptOptions { MaxImages = 9 }).Parts.Count);
        var parts = Fails(() => MultimodalPrompt.FromParts([Img(Dog), new PromptInput.Text("and"), Img(Shirt), Img(Castle)],
            new PromptOptions { MaxImages = 2 }));
        Assert.Equal((PromptError.TooManyImages, "parts[3].image"), (parts.Code, parts.Field));
    }

    [Fact]
    public void Empty_prompts_are_refused()
    {
        Assert.Equal((PromptError.Empty, "text"), Pair(Fails(() => MultimodalPrompt.FromText("", []))));
        Assert.Equal((PromptError.Empty, "text"), Pair(Fails(() => MultimodalPrompt.FromText(" \n\t ", []))));
        Assert.Equal((PromptError.Empty, "parts"), Pair(Fails(() => MultimodalPrompt.FromParts([]))));
        Assert.Equal((PromptError.Empty, "parts"), Pair(Fails(() => MultimodalPrompt.FromParts([new PromptInput.Text("  ")]))));
        Assert.Single(MultimodalPrompt.FromParts([Img(Dog)]).Parts); // an image alone is a prompt
    }

    private static (PromptError, string) Pair(PromptException e) => (e.Code, e.Field);

    [Fact]
    public void An_undecodable_image_names_its_field_and_reason()
    {
        var garbage = "not an image at all"u8.ToArray();
        var ex = Fails(() => MultimodalPrompt.FromText("<img1> and <img2>", [Img(Dog), Img(garbage)]));
        Assert.Equal((PromptError.BadImage, "images[1]", ImageDecodeError.UnsupportedFormat), (ex.Code, ex.Field, ex.ImageError));
        var truncated = TestImages.Encode(64, 64, TestImages.Noise(64, 64, 13), SKEncodedImageFormat.Png)[..400];
        var part = Fails(() => MultimodalPrompt.FromParts([new PromptInput.Text("a"), new PromptInput.Text("b"), Img(truncated)]));
        Assert.Equal((PromptError.BadImage, "parts[2].image", ImageDecodeError.Truncated), (part.Code, part.Field, part.ImageError));
        var tooLarge = Fails(() => MultimodalPrompt.FromParts([Img(Dog)],
            new PromptOptions { ImageLimits = new ImageLimits { MaxPixels = 10 } }));
        Assert.Equal(ImageDecodeError.TooLarge, tooLarge.ImageError);
    }

    [Fact]
    public void Structural_mistakes_are_caught_before_any_image_is_decoded()
    {
        // The garbage image would fail too, but the placeholder fault comes first: no decoding work is wasted.
        var ex = Fails(() => MultimodalPrompt.FromText("<img2>", [Img("junk"u8.ToArray())]));
        Assert.Equal(PromptError.MissingImage, ex.Code);
    }

    [Fact]
    public void Placeholders_inside_parts_and_mixed_forms_are_refused()
    {
        var ex = Fails(() => MultimodalPrompt.FromParts([Img(Dog), new PromptInput.Text(" with <img1>")]));
        Assert.Equal((PromptError.BadPlaceholder, "parts[1].text", 6), (ex.Code, ex.Field, ex.Position));
        var both = Fails(() => MultimodalPrompt.Create([new PromptInput.Text("a")], "<img1>", [Img(Dog)]));
        Assert.Equal((PromptError.Malformed, "text"), (both.Code, both.Field));
        var notImage = Fails(() => MultimodalPrompt.FromText("<img1>", [new PromptInput.Text("x")]));
        Assert.Equal((PromptError.Malformed, "images[0]"), (notImage.Code, notImage.Field));
        Assert.Equal(3, MultimodalPrompt.Create(null, "a <img1> b", [Img(Dog)]).Parts.Count);
    }

    [Fact]
    public void Lone_surrogates_are_reported_with_their_offset()
    {
        var ex = Fails(() => MultimodalPrompt.FromText("ab\uD800c", []));
        Assert.Equal((PromptError.BadText, "text", 2), (ex.Code, ex.Field, ex.Position));
        Assert.Single(MultimodalPrompt.FromText("emoji \U0001F642 ok", []).Parts); // a pair is fine
    }

    [Fact]
    public void In_memory_images_are_hashed_by_their_pixels()
    {
        var a = DecodedImage.Solid(2, 2, 1, 2, 3);
        var prompt = MultimodalPrompt.FromParts([new PromptInput.Pixels(a), new PromptInput.Text(" x")]);
        var same = MultimodalPrompt.FromText("<img1> x", [new PromptInput.Pixels(DecodedImage.Solid(2, 2, 1, 2, 3))]);
        var other = MultimodalPrompt.FromText("<img1> x", [new PromptInput.Pixels(DecodedImage.Solid(2, 2, 1, 2, 4))]);
        Assert.Equal(prompt.ContentKey(), same.ContentKey());
        Assert.NotEqual(prompt.ContentKey(), other.ContentKey());
        Assert.Same(a, prompt.Images[0].Pixels);
    }

    [Fact]
    public void Exception_message_names_field_and_offset()
    {
        var ex = Fails(() => MultimodalPrompt.FromText("x <img5>", [Img(Dog)]));
        Assert.StartsWith("text (offset 2): <img5> refers to image 5", ex.Message);
    }
}
