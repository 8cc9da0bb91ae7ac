using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Client.Torch;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;
using V1 = UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Services.Tests;

/// <summary>
/// Legal-looking requests that used to cost gigabytes or leak unbounded text (issue 16), each over loopback with a raw
/// gRPC client: refused with the right status, naming the field, before the expensive work.
/// </summary>
[Collection("cluster")]
public sealed class ReliabilityTests(ClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    // A test class instance per test: this measures the test's own memory (docs/reliability.md quotes these lines).
    private readonly ResidentMemory _memory = new();

    private Cluster Cluster => fixture.Cluster;

    public void Dispose() => _memory.Dispose();

    private V1.Gateway.GatewayClient Gateway => new(Cluster.Channel(Cluster.GatewayAddress));
    private V1.Denoiser.DenoiserClient Denoiser => new(Cluster.Channel(Cluster.DenoiserAddress));

    /// <summary>The stream's refusal, reported with the time from here (the request is sent) and the memory since the test began.</summary>
    private async Task<RpcException> Drain<T>(IAsyncStreamReader<T> stream)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RpcException>(async () => { while (await stream.MoveNext(CancellationToken.None)) { } });
        Report(e, clock.Elapsed);
        return e;
    }

    private void Report(RpcException e, TimeSpan took)
    {
        var (peak, _) = _memory.Peek();
        output.WriteLine($"{e.StatusCode} after {took.TotalMilliseconds:0} ms, RSS peak +{peak >> 20} MB: {e.Status.Detail}");
    }

    private async Task<RpcException> Refused(GenerateRequest request)
    {
        using var call = Gateway.Generate(request);
        return await Drain(call.ResponseStream);
    }

    [Fact]
    public async Task A_prompt_of_2000_characters_and_6000_tokens_is_refused_before_encoding_naming_prompt_text()
    {
        var request = GenerationTests.Request(text: "<img1> wearing <img2> " + new string('猫', 1970), steps: 2);   // within Generation:MaxPromptChars
        var e = await Refused(request);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("prompt.text: makes a condition of ", e.Status.Detail);
        Assert.Contains("tokens", e.Status.Detail);
    }

    [Fact]
    public async Task Encode_on_its_own_port_bounds_the_text_in_characters()
    {
        var encoder = new V1.Encoder.EncoderClient(Cluster.Channel(Cluster.EncoderAddress));
        using var call = encoder.Encode(new EncodeRequest { Prompt = new Prompt { Text = new string('a', 12_000) } });
        var e = await Drain(call.ResponseStream);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("prompt.text: 12000 characters; at most 2000 are allowed (Encoder:MaxPromptChars)", e.Status.Detail);
    }

    [Fact]
    public async Task Unbounded_input_is_echoed_capped_to_100_characters_with_its_length()
    {
        var request = GenerationTests.Request(steps: 2);
        request.Model = new string('m', 8000);
        var model = await Refused(request);
        Assert.Equal(StatusCode.FailedPrecondition, model.StatusCode);
        Assert.Contains("... (8000 characters)", model.Status.Detail);
        Assert.True(model.Status.Detail.Length < 300, model.Status.Detail);

        var byHash = GenerationTests.Request(steps: 2);
        byHash.Prompt.Images[0] = new ImageInput { Sha256 = new string('f', 20_000) };
        var hash = await Refused(byHash);
        Assert.Equal(StatusCode.InvalidArgument, hash.StatusCode);
        Assert.Contains("sha256", hash.Status.Detail);
        Assert.Contains("... (20000 characters)", hash.Status.Detail);
        Assert.True(hash.Status.Detail.Length < 300, hash.Status.Detail);
    }

    [Fact]
    public async Task A_condition_of_the_wrong_width_is_refused_at_its_first_chunk_while_the_stream_is_open()
    {
        using var call = Denoiser.Denoise();
        await call.RequestStream.WriteAsync(new DenoiseRequest { Options = new DenoiseOptions { Steps = 2, GuidanceScale = 1, Seed = 1 } });
        // [1, 1000, 16384] FP32 = 62.5 MiB declared; only the first 4 KiB are sent, and the stream is never completed.
        var first = new TensorChunk { Name = "cond.hidden_states", Datatype = "FP32", Shape = { 1, 1000, 16384 }, Data = ByteString.CopyFrom(new byte[4096]) };
        await call.RequestStream.WriteAsync(new DenoiseRequest { Chunk = first });
        var e = await Drain(call.ResponseStream);   // answers without waiting for the other 62.5 MiB
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("tensor 'cond.hidden_states': expected FP32, BF16 or FP16 [1, L, 64], got FP32 [1, 1000, 16384]", e.Status.Detail);
    }

    [Fact]
    public async Task Denoise_refuses_a_guidance_scale_of_1e30()
    {
        using var call = Denoiser.Denoise();
        await call.RequestStream.WriteAsync(new DenoiseRequest { Options = new DenoiseOptions { Steps = 2, GuidanceScale = 1e30f, Seed = 1 } });
        var e = await Drain(call.ResponseStream);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.StartsWith("guidance_scale: must be between 0 and 30", e.Status.Detail);
    }

    [Fact]
    public async Task An_empty_latent_is_called_empty()
    {
        var vae = new V1.Vae.VaeClient(Cluster.Channel(Cluster.VaeAddress));
        using var call = vae.Decode();
        using var latent = zeros(1, 4, 0, 16);
        foreach (var chunk in TorchTensorStreams.Chunks("latent", latent))
            await call.RequestStream.WriteAsync(new DecodeRequest { Chunk = chunk });
        await call.RequestStream.CompleteAsync();
        var e = await Drain(call.ResponseStream);
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Equal("tensor 'latent': 0x16 is empty; height and width must be at least 1", e.Status.Detail);
    }

    [Fact]
    public void A_cancelled_encode_does_no_work_and_the_encoder_serves_the_next_one()
    {
        var engine = Cluster.Encoder.Services.GetRequiredService<UnimoG.Hosting.ModelSlot<Engines.Inference.EncoderEngine>>().Value;
        var request = new EncodeRequest { Prompt = new Prompt { Text = "a cat wearing a hat, cancelled" } };
        var before = Tensor.TotalCount;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => engine.Encode(request, cancelled.Token));
        Assert.Equal(before, Tensor.TotalCount);
        using var encoded = engine.Encode(request, CancellationToken.None);
        Assert.False(encoded.CacheHit);   // the cancelled call cached nothing: it never ran
    }

    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    private async Task<RpcException> SendRaw(MethodType type, string method, byte[] message)
    {
        var invoker = Cluster.Channel(Cluster.GatewayAddress).CreateCallInvoker();
        var m = new Method<byte[], byte[]>(type, "unimog.v1.Gateway", method, Raw, Raw);
        if (type == MethodType.Unary)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = await Assert.ThrowsAsync<RpcException>(() => invoker.AsyncUnaryCall(m, null, new CallOptions(), message).ResponseAsync);
            Report(e, clock.Elapsed);
            return e;
        }
        using var call = invoker.AsyncServerStreamingCall(m, null, new CallOptions(), message);
        return await Drain(call.ResponseStream);
    }

    [Fact]
    public async Task Malformed_protobuf_and_invalid_UTF8_are_invalid_argument_not_unknown()
    {
        var garbage = await SendRaw(MethodType.ServerStreaming, "Generate", [0xFF, 0xFF, 0xFF, 0xFF]);
        Assert.Equal(StatusCode.InvalidArgument, garbage.StatusCode);
        Assert.StartsWith("The request to unimog.v1.Gateway/Generate is not a valid GenerateRequest message: ", garbage.Status.Detail);

        // A well-formed message whose prompt.text holds the bytes FF FE (not UTF-8).
        var bytes = GenerationTests.Request(text: "<img1> QQ", steps: 2).ToByteArray();
        var at = bytes.AsSpan().IndexOf("QQ"u8);
        bytes[at] = 0xFF;
        bytes[at + 1] = 0xFE;
        var utf8 = await SendRaw(MethodType.ServerStreaming, "Generate", bytes);
        Assert.Equal(StatusCode.InvalidArgument, utf8.StatusCode);
        Assert.EndsWith("String is invalid UTF-8.", utf8.Status.Detail);

        var describe = await SendRaw(MethodType.Unary, "Describe", [0x0A, 0x05, 0x01]);   // a field cut short
        Assert.Equal(StatusCode.InvalidArgument, describe.StatusCode);
        Assert.Contains("DescribeRequest", describe.Status.Detail);

        Assert.NotNull(await Gateway.DescribeAsync(new DescribeRequest()));   // the server is fine afterwards
    }

    [Fact]
    public async Task A_deadline_is_counted_as_DeadlineExceeded_by_every_service_it_reaches()
    {
        var errors = new System.Collections.Concurrent.ConcurrentQueue<(string Method, string Status)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "unimog.rpc.errors") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(k => k.Key, k => k.Value?.ToString() ?? "");
            errors.Enqueue((t["grpc.method"], t["grpc.status"]));
        });
        listener.Start();

        await Cluster.Client().GenerateImagesAsync(GenerationTests.Request(steps: 2));   // warm: connections and code paths
        for (int i = 0; i < 4; i++)
        {
            using var call = Gateway.Generate(GenerationTests.Request(steps: 200), deadline: DateTime.UtcNow.AddMilliseconds(1500));
            Assert.Equal(StatusCode.DeadlineExceeded, (await Drain(call.ResponseStream)).StatusCode);
        }
        // Each host counts a call once its handler has unwound, a moment after the client has given up.
        bool Counted(string method) => errors.Count(e => e.Method == method) >= 4;
        await GenerationTests.WaitUntil(() => Counted("/unimog.v1.Gateway/Generate") && Counted("/unimog.v1.Denoiser/Denoise"));
        Assert.All(errors, e => Assert.Equal("DeadlineExceeded", e.Status));
    }
}
