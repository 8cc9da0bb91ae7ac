using UnimoG.Contracts.Tensors;
using V1 = UnimoG.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Client.Torch;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;
using static TorchSharp.torch;

namespace UnimoG.Services.Tests;

/// <summary>The denoiser's own contract over the network: broken tensor streams are refused naming the tensor.</summary>
[Collection("cluster")]
public sealed class DenoiserStreamTests(ClusterFixture fixture)
{
    private V1.Denoiser.DenoiserClient Raw() => new(fixture.Cluster.Channel(fixture.Cluster.DenoiserAddress));

    private static DenoiseOptions Options(float guidance = 5) => new() { Steps = 2, GuidanceScale = guidance, Seed = 1 };

    private static IEnumerable<TensorChunk> Tensor(string name, Tensor t) => TorchTensorStreams.Chunks(name, t).ToList();

    private async Task<RpcException> Refused(params DenoiseRequest[] messages)
    {
        using var call = Raw().Denoise();
        try
        {
            foreach (var m in messages) await call.RequestStream.WriteAsync(m);
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // refused before the stream ended: the status follows in the response
        }
        return await Assert.ThrowsAsync<RpcException>(async () => { while (await call.ResponseStream.MoveNext()) { } });
    }

    private static DenoiseRequest[] Conditions(Tensor hidden, Tensor mask, string prefix = "cond") =>
        [.. Tensor($"{prefix}.hidden_states", hidden).Select(c => new DenoiseRequest { Chunk = c }),
         .. Tensor($"{prefix}.attention_mask", mask).Select(c => new DenoiseRequest { Chunk = c })];

    [Fact]
    public async Task Wrong_condition_width_names_the_tensor()
    {
        using var h = zeros(1, 5, 32);
        using var m = ones(1, 5, dtype: ScalarType.Int64);
        var e = await Refused([new DenoiseRequest { Options = Options(1) }, .. Conditions(h, m)]);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("tensor 'cond.hidden_states': expected FP32, BF16 or FP16 [1, L, 64]", e.Status.Detail);
    }

    [Fact]
    public async Task Options_must_come_first()
    {
        using var h = zeros(1, 5, 64);
        using var m = ones(1, 5, dtype: ScalarType.Int64);
        var e = await Refused([.. Conditions(h, m), new DenoiseRequest { Options = Options(1) }]);
        Assert.StartsWith("options: the first message", e.Status.Detail);
    }

    [Fact]
    public async Task Guidance_needs_the_unconditional_condition()
    {
        using var h = zeros(1, 5, 64);
        using var m = ones(1, 5, dtype: ScalarType.Int64);
        var e = await Refused([new DenoiseRequest { Options = Options(5) }, .. Conditions(h, m)]);
        Assert.StartsWith("uncond.hidden_states: guidance_scale 5 > 1 needs", e.Status.Detail);
    }

    [Fact]
    public async Task Unknown_tensors_missing_masks_and_broken_chunks_are_named()
    {
        using var h = zeros(1, 5, 64);
        using var m = ones(1, 5, dtype: ScalarType.Int64);
        var unknown = await Refused([new DenoiseRequest { Options = Options(1) }, .. Conditions(h, m), .. Tensor("extra", h).Select(c => new DenoiseRequest { Chunk = c })]);
        Assert.StartsWith("tensor 'extra': is not an input of Denoise", unknown.Status.Detail);

        var noMask = await Refused([new DenoiseRequest { Options = Options(1) }, .. Tensor("cond.hidden_states", h).Select(c => new DenoiseRequest { Chunk = c })]);
        Assert.StartsWith("tensor 'cond.attention_mask': missing", noMask.Status.Detail);

        var skip = new TensorChunk { Name = "cond.hidden_states", Datatype = "FP32", Shape = { 1, 5, 64 }, ByteOffset = 0, Data = ByteString.CopyFrom(new byte[640]) };
        var gap = new TensorChunk { Name = "cond.hidden_states", ByteOffset = 700, Data = ByteString.CopyFrom(new byte[580]), Last = true };
        var broken = await Refused(new DenoiseRequest { Options = Options(1) }, new DenoiseRequest { Chunk = skip }, new DenoiseRequest { Chunk = gap });
        Assert.Equal(StatusCode.InvalidArgument, broken.StatusCode);
        Assert.StartsWith("tensor 'cond.hidden_states': chunk at byte 700 skips", broken.Status.Detail);

        var dtype = new TensorChunk { Name = "cond.hidden_states", Datatype = "FP33", Shape = { 1, 5, 64 }, Data = ByteString.CopyFrom(new byte[1280]), Last = true };
        var unknownType = await Refused(new DenoiseRequest { Options = Options(1) }, new DenoiseRequest { Chunk = dtype });
        Assert.StartsWith("tensor 'cond.hidden_states': unknown datatype 'FP33'", unknownType.Status.Detail);

        var huge = new TensorChunk { Name = "cond.hidden_states", Datatype = "FP32", Shape = { 1, 1 << 22, 64 }, Data = ByteString.CopyFrom(new byte[4]) };
        var tooLarge = await Refused(new DenoiseRequest { Options = Options(1) }, new DenoiseRequest { Chunk = huge });
        Assert.Contains("exceeds the limit", tooLarge.Status.Detail);
    }

    [Fact]
    public async Task Typed_denoiser_client_streams_conditions_and_returns_the_latent()
    {
        using var hidden = randn(1, 7, 64);
        using var mask = ones(1, 7, dtype: ScalarType.Int64);
        using var cond = new WireConditioning(hidden.ToWire(TensorNames.HiddenStates), mask.ToWire(TensorNames.AttentionMask), [], "t", false);
        var updates = new List<DenoiseUpdate>();
        await foreach (var u in fixture.Cluster.DenoiserClient().DenoiseAsync(new DenoiseOptions { Steps = 3, GuidanceScale = 1, Seed = 3, NumImages = 2, PreviewInterval = 1, PreviewKind = PreviewKind.Latent }, cond, null))
            updates.Add(u);
        Assert.Equal(["Step", "LatentPreview", "Step", "LatentPreview", "Step", "LatentPreview", "Final"], updates.Select(u => u.GetType().Name));
        var final = Assert.IsType<DenoiseUpdate.Final>(updates[^1]);
        Assert.Equal([2L, 4, 16, 16], final.Latent.Shape);
        Assert.Equal(3, final.Completed.Steps);
        foreach (var u in updates)
        {
            if (u is DenoiseUpdate.Final f) f.Latent.Dispose();
            if (u is DenoiseUpdate.LatentPreview p) p.Latent.Dispose();
        }
    }
}
