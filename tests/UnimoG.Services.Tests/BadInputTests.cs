using Google.Protobuf;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>Bad requests to the gateway over the network: each answered with its status and a message naming the field.</summary>
[Collection("cluster")]
public sealed class BadInputTests(ClusterFixture fixture)
{
    private static readonly byte[] Red = TestModel.Png(16, 16, 255, 0, 0);
    private static readonly byte[] Noise = TestModel.NoisePng(64, 64);

    /// <summary>A PNG whose header claims 20000 x 20000 pixels, followed by a few bytes of data: a decompression bomb.</summary>
    private static byte[] Bomb()
    {
        var png = Red.ToArray();
        // IHDR's width and height are bytes 16..23; the CRC after them must match, so recompute it.
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(20000)).CopyTo(png, 16);
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(20000)).CopyTo(png, 20);
        var crc = UnimoG.TestSupport.TestImages.Crc32(png.AsSpan(12, 17));
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(crc)).CopyTo(png, 29);
        return png;
    }

    private static GenerateRequest Good() => GenerationTests.Request(steps: 2);

    private static GenerateRequest With(Action<GenerateRequest> change)
    {
        var r = Good();
        change(r);
        return r;
    }

    private static GenerateRequest Text(string text, params byte[][] images) => With(r =>
    {
        r.Prompt = new Prompt { Text = text };
        r.Prompt.Images.AddRange(images.Select(b => new ImageInput { Data = ByteString.CopyFrom(b) }));
    });

    public static TheoryData<string, GenerateRequest, StatusCode, string, string> Cases => new()
    {
        { "width not a multiple of 8", With(r => r.Width = 100), StatusCode.InvalidArgument, "width", "multiple of 8" },
        { "negative width", With(r => r.Width = -64), StatusCode.InvalidArgument, "width", "got -64" },
        { "width above the limit", With(r => r.Width = 4096), StatusCode.InvalidArgument, "width", "between 8 and 1024" },
        { "far beyond the trained size", With(r => (r.Width, r.Height) = (512, 512)), StatusCode.InvalidArgument, "width",
            "512x512 is 262,144 pixels; model 'unimog-mini' was trained at 64x64, and at most 65,536 are generated (Generation:MaxPixels, by default 16x the trained size)" },
        { "odd height", With(r => r.Height = 63), StatusCode.InvalidArgument, "height", "got 63" },
        { "negative steps", With(r => r.Steps = -1), StatusCode.InvalidArgument, "steps", "between 1 and 200" },
        { "too many steps", With(r => r.Steps = 10_000), StatusCode.InvalidArgument, "steps", "got 10000" },
        { "negative guidance", With(r => r.GuidanceScale = -1), StatusCode.InvalidArgument, "guidance_scale", "got -1" },
        { "NaN guidance", With(r => r.GuidanceScale = float.NaN), StatusCode.InvalidArgument, "guidance_scale", "NaN" },
        { "guidance above the limit", With(r => r.GuidanceScale = 100), StatusCode.InvalidArgument, "guidance_scale", "between 0 and 30" },
        { "too many images", With(r => r.NumImages = 99), StatusCode.InvalidArgument, "num_images", "between 1 and 4" },
        { "negative image count", With(r => r.NumImages = -2), StatusCode.InvalidArgument, "num_images", "got -2" },
        { "eta above 1", With(r => r.Eta = 2), StatusCode.InvalidArgument, "eta", "between 0 and 1" },
        { "negative eta", With(r => r.Eta = -0.5f), StatusCode.InvalidArgument, "eta", "got -0.5" },
        { "negative preview interval", With(r => r.PreviewInterval = -1), StatusCode.InvalidArgument, "preview_interval", "got -1" },
        { "preview interval beyond the steps", With(r => r.PreviewInterval = 3), StatusCode.InvalidArgument, "preview_interval", "steps (2)" },
        { "unknown preview kind", With(r => { r.PreviewInterval = 1; r.PreviewKind = (PreviewKind)7; }), StatusCode.InvalidArgument, "preview_kind", "unknown value 7" },
        { "a model that is not served", With(r => r.Model = "sd15"), StatusCode.FailedPrecondition, "model", "'sd15' is not served" },
        { "empty prompt", With(r => r.Prompt = new Prompt()), StatusCode.InvalidArgument, "prompt.text", "empty" },
        { "parts and text at once", With(r => r.Prompt.Parts.Add(new PromptPart { Text = "x" })), StatusCode.InvalidArgument, "prompt.text", "not both" },
        { "placeholder without an image", Text("<img1> and <img3>", Red, Red), StatusCode.InvalidArgument, "prompt.text", "(offset 11) <img3> refers to image 3, but only 2" },
        { "placeholder numbered from 0", Text("<img0>", Red), StatusCode.InvalidArgument, "prompt.text", "numbered from 1" },
        { "image never referred to", Text("<img1> alone", Red, Red), StatusCode.InvalidArgument, "prompt.images[1]", "never referred to" },
        { "unsupported format (BMP)", Text("<img1>", [.. "BM"u8, .. new byte[60]]), StatusCode.InvalidArgument, "prompt.images[0]", "unsupported format (BMP)" },
        { "decompression bomb", Text("<img1>", Bomb()), StatusCode.InvalidArgument, "prompt.images[0]", "20000x20000" },
        { "image file too large", Text("<img1>", [.. Red, .. new byte[300_000]]), StatusCode.InvalidArgument, "prompt.images[0]", "the limit is 200,000" },
        { "truncated image", Text("<img1>", Noise[..(Noise.Length / 2)]), StatusCode.InvalidArgument, "prompt.images[0]", "truncated" },
        { "empty image", Text("<img1>", [[]]), StatusCode.InvalidArgument, "prompt.images[0]", "empty" },
        { "more images than a prompt may hold", Text(string.Concat(Enumerable.Range(1, 9).Select(i => $"<img{i}>")), Enumerable.Repeat(Red, 9).ToArray()), StatusCode.InvalidArgument, "prompt.images[8]", "at most 8" },
        { "unknown uploaded image", With(r => r.Prompt.Images[0] = new ImageInput { Sha256 = new string('a', 64) }), StatusCode.InvalidArgument, "prompt.images[0].sha256", "upload it first" },
        { "unknown uploaded image in a part", With(r => { r.Prompt = new Prompt(); r.Prompt.Parts.Add(new PromptPart { Image = new ImageInput { Sha256 = new string('b', 64) } }); }),
            StatusCode.InvalidArgument, "prompt.parts[0].image.sha256", "upload it first" },
        { "height above the limit", With(r => r.Height = 2048), StatusCode.InvalidArgument, "height", "between 8 and 1024" },
        { "prompt too long", Text(new string('x', 2001)), StatusCode.InvalidArgument, "prompt.text", "at most 2000" },
        { "part that is neither text nor image", With(r => { r.Prompt = new Prompt(); r.Prompt.Parts.Add(new PromptPart()); }), StatusCode.InvalidArgument, "prompt.parts[0]", "text or an image" },
        { "placeholder inside a parts-form text", With(r => { r.Prompt = new Prompt(); r.Prompt.Parts.Add(new PromptPart { Text = "a <img1>" }); }), StatusCode.InvalidArgument, "prompt.parts[0].text", "own part" },
        { "bad negative prompt", With(r => r.NegativePrompt = new Prompt { Text = "<img2>" }), StatusCode.InvalidArgument, "negative_prompt.text", "refers to an image" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Answered_with_status_and_field(string what, GenerateRequest request, StatusCode status, string field, string detail)
    {
        var e = await Assert.ThrowsAnyAsync<UnimoGException>(() => fixture.Cluster.Client().GenerateImagesAsync(request));
        Assert.True(e.Status == status, $"{what}: {e.Status}, expected {status} ({e.Detail})");
        Assert.Equal(field, e.Field);
        Assert.StartsWith(UnimoG.Text.Prompts.ImageNumbers.Named(field) + ": ", e.Detail);   // an image also by its <imgN>
        Assert.Contains(detail, e.Detail);
    }

    [Fact]
    public void There_are_at_least_twenty_distinct_cases() => Assert.True(Cases.Count >= 20);

    [Fact]
    public async Task Nothing_is_accepted_before_validation()
    {
        // A bad request fails before the accepted event: no id, no seed, no work downstream.
        var events = new List<GenerationEvent>();
        await Assert.ThrowsAnyAsync<InvalidRequestException>(async () =>
        {
            await foreach (var e in fixture.Cluster.Client().GenerateAsync(With(r => r.Steps = -1))) events.Add(e);
        });
        Assert.Empty(events);
    }

    [Fact]
    public async Task Uploads_are_checked_from_the_header()
    {
        var client = fixture.Cluster.Client();
        var bomb = await Assert.ThrowsAsync<InvalidRequestException>(() => client.UploadImageAsync(Bomb()));
        Assert.Equal("data", bomb.Field);
        Assert.Contains("20000x20000", bomb.Detail);
        var bmp = await Assert.ThrowsAsync<InvalidRequestException>(() => client.UploadImageAsync((byte[])[.. "BM"u8, .. new byte[60]]));
        Assert.Contains("BMP", bmp.Detail);
    }
}
