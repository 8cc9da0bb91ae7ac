using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Engines;
using UnimoG.Engines.Gateway;
using UnimoG.Engines.Inference;
using UnimoG.Imaging;
using UnimoG.TestSupport;
using UnimoG.Text.Prompts;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>The pieces behind <see cref="ImageCostTests"/> on their own: the byte budget, the header count, the retry hint, the settings.</summary>
public sealed class ImageBudgetTests
{
    private static V1.Prompt Prompt(params byte[][] images)
    {
        var prompt = new V1.Prompt { Text = string.Concat(images.Select((_, i) => $"<img{i + 1}>")) };
        prompt.Images.AddRange(images.Select(b => new V1.ImageInput { Data = ByteString.CopyFrom(b) }));
        return prompt;
    }

    [Fact]
    public void The_budget_refuses_what_does_not_fit_and_a_lease_returns_its_bytes_once()
    {
        var budget = new DecodeBudget(1000, "Encoder:ImageDecodeBytes", TimeSpan.FromMilliseconds(250));
        var lease = budget.Acquire(600);
        var e = Assert.Throws<QueueFullException>(() => budget.Acquire(500));
        Assert.Equal("image decoding is at its budget: this request needs 500 bytes, 600 of the 1,000 of Encoder:ImageDecodeBytes are in use by other requests; retry later", e.Message);
        Assert.Equal(TimeSpan.FromMilliseconds(250), e.RetryAfter);
        using (budget.Acquire(400)) Assert.Equal(1000, budget.InFlight);
        lease.Dispose();
        lease.Dispose();
        Assert.Equal(0, budget.InFlight);
        Assert.Throws<ArgumentOutOfRangeException>(() => budget.Acquire(1001));
    }

    [Fact]
    public void A_refusal_carries_its_retry_hint_as_trailer_and_RetryInfo_and_a_relay_keeps_it()
    {
        var rpc = Faults.ToRpc(new QueueFullException("busy", TimeSpan.FromMilliseconds(1500)))!;
        Assert.Equal((StatusCode.ResourceExhausted, "busy"), (rpc.StatusCode, rpc.Status.Detail));
        Assert.Equal("1500", rpc.Trailers.GetValue(UnimoGException.RetryAfterTrailer));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), rpc.GetRpcStatus()!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());

        // The gateway's encoder client sees it as a ServerBusyException; relayed, it is the same refusal again.
        var client = Assert.IsType<ServerBusyException>(UnimoGException.From(rpc));
        Assert.Equal(TimeSpan.FromMilliseconds(1500), client.RetryAfter);
        var relayed = Faults.ToRpc(client)!;
        Assert.Equal("1500", relayed.Trailers.GetValue(UnimoGException.RetryAfterTrailer));
        Assert.Null(Faults.ToRpc(new QueueFullException("the denoiser queue is full"))!.Trailers.GetValue(UnimoGException.RetryAfterTrailer));
    }

    [Fact]
    public void Pixels_are_counted_from_the_headers_of_both_prompts_naming_the_image_that_passes_the_limit()
    {
        var budget = new DecodeBudget(1L << 30, "Generation:ImageDecodeBytes");
        var options = new PromptOptions { Scaling = ScaledDecoding.CheckOnly };
        byte[] broken = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3];   // skipped here: parsing names it
        var parts = new V1.Prompt();
        parts.Parts.Add(new V1.PromptPart { Text = "a" });
        parts.Parts.Add(new V1.PromptPart { Image = new V1.ImageInput { Data = ByteString.CopyFrom(RawPng.Blank(3000, 2000)) } });
        var e = Assert.Throws<InvalidFieldException>(() => RequestImages.Admit(
            [(Prompt(broken, RawPng.Blank(2000, 2000)), "prompt"), (parts, "negative_prompt")], options, null, 9_000_000, "Generation:MaxRequestImagePixels", budget));
        Assert.Equal("negative_prompt.parts[1].image", e.Field);
        Assert.Equal("negative_prompt.parts[1].image: the request's images declare 10,000,000 pixels up to this one (3000x2000); "
                     + "at most 9,000,000 are decoded per request (Generation:MaxRequestImagePixels)", e.Message);
        Assert.Equal(0, budget.InFlight);
        using (RequestImages.Admit([(Prompt(RawPng.Blank(3000, 3000)), "prompt")], options, null, 9_000_000, "k", budget))
            Assert.InRange(budget.InFlight, 1, 1_000_000);   // scaled: far below 3000 x 3000 x 4
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public void Images_that_can_never_fit_the_budget_are_invalid_naming_the_one_that_passes_it()
    {
        var budget = new DecodeBudget(100_000_000, "Encoder:ImageDecodeBytes");
        var prompt = Prompt(RawPng.Blank(4000, 4000), RawPng.Blank(4000, 4000, 1));   // 64 MB each at full size
        var e = Assert.Throws<InvalidFieldException>(() => RequestImages.Admit([(prompt, "prompt")], new PromptOptions(), null, long.MaxValue, "k", budget));
        Assert.StartsWith("prompt.images[1] (<img2>): decoding the request's images takes 128,00", e.Message);
        Assert.EndsWith(" bytes up to this one (4000x4000 Png); Encoder:ImageDecodeBytes allows 100,000,000 at a time", e.Message);
    }

    [Fact]
    public void The_new_settings_are_validated_naming_their_keys()
    {
        var gateway = new GatewayOptions { MaxRequestImagePixels = 1000, ImageDecodeBytes = 0 }.Validate("Generation").ToList();
        Assert.Contains("Generation:MaxRequestImagePixels must be at least MaxImagePixels (16777216), got 1000.", gateway);
        Assert.Contains("Generation:ImageDecodeBytes must be positive, got 0.", gateway);
        var encoder = new EncoderOptions { ImageDecodeBytes = -1 }.Validate("Encoder").ToList();
        Assert.Equal(["Encoder:ImageDecodeBytes must be positive, got -1."], encoder);
        Assert.Empty(new GatewayOptions().Validate("Generation"));
    }
}
