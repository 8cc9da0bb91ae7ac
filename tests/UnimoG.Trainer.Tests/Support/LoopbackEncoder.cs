using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Modeling.Encoders;
using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using UnimoG.Engines.Trainer.Conditions;

namespace UnimoG.Trainer.Tests.Support;

/// <summary>
/// The Encoder contract served on loopback over a tiny real <see cref="MllmEncoder"/>, as the trainer's client expects
/// it: per prompt the chunks of hidden_states [1, L, D] FP32 and attention_mask [1, L] INT64, then a summary with the
/// spans; the empty prompt answers the unconditional embedding. (The production Encoder service is built elsewhere.)
/// </summary>
public sealed class LoopbackEncoder : IAsyncDisposable
{
    private readonly WebApplication _app;
    public string Address { get; }
    public int Calls => _service.Calls;
    private readonly EncoderImpl _service;

    private LoopbackEncoder(WebApplication app, string address, EncoderImpl service)
    {
        _app = app;
        Address = address;
        _service = service;
    }

    public static async Task<LoopbackEncoder> StartAsync(MllmEncoder encoder)
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var impl = new EncoderImpl(encoder);
        builder.Services.AddSingleton(impl);
        var app = builder.Build();
        app.MapGrpcService<EncoderImpl>();
        await app.StartAsync();
        return new LoopbackEncoder(app, $"http://127.0.0.1:{port}", impl);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class EncoderImpl(MllmEncoder encoder) : UnimoG.Contracts.V1.Encoder.EncoderBase
    {
        private readonly object _gate = new();
        private int _calls;
        public int Calls => _calls;

        public override async Task EncodeMany(IAsyncStreamReader<EncodeRequest> requestStream, IServerStreamWriter<EncodeResponse> responseStream, ServerCallContext context)
        {
            Interlocked.Increment(ref _calls);
            var processor = new ClipImageProcessor(ClipImageProcessorConfig.ForImageSize(encoder.Vision.Config.ImageSize));
            await foreach (var request in requestStream.ReadAllAsync())
            {
                var parts = new List<MllmPart>();
                foreach (var part in request.Prompt?.Parts ?? [])   // an unconditional request has no prompt
                {
                    if (part.KindCase == UnimoG.Contracts.V1.PromptPart.KindOneofCase.Text) { parts.Add(new MllmText(part.Text)); continue; }
                    var bytes = part.Image.Data.ToByteArray();
                    parts.Add(new MllmImage(processor.PixelValues([ImageDecoder.Decode(bytes)]), Convert.ToHexStringLower(SHA256.HashData(bytes))));
                }
                float[] hidden;
                long[] shape;
                IReadOnlyList<UnimoG.Text.Prompts.VisualSpan> spans;
                lock (_gate)   // one forward at a time; grad mode and scopes stay on this thread
                {
                    using var cond = request.Unconditional ? MllmConditions.EmptyPrompt(encoder) : encoder.Encode(parts);
                    hidden = cond.HiddenStates.data<float>().ToArray();
                    shape = cond.HiddenStates.shape;
                    spans = cond.Spans[0];
                }
                var hb = MemoryMarshal.AsBytes(hidden.AsSpan()).ToArray();
                foreach (var c in TensorChunker.Split(new TensorHeader("hidden_states", TensorDataType.FP32, shape), hb, 1000))
                    await responseStream.WriteAsync(new EncodeResponse { Key = request.Key, Chunk = c });
                var mb = MemoryMarshal.AsBytes(Enumerable.Repeat(1L, (int)shape[1]).ToArray().AsSpan()).ToArray();
                foreach (var c in TensorChunker.Split(new TensorHeader("attention_mask", TensorDataType.INT64, [1, shape[1]]), mb))
                    await responseStream.WriteAsync(new EncodeResponse { Key = request.Key, Chunk = c });
                var summary = new EncodeSummary { Length = (int)shape[1], Width = (int)shape[2], Model = encoder.Config.ModelId };
                summary.Spans.AddRange(spans.Select(s => new UnimoG.Contracts.V1.VisualSpan { ImageIndex = s.ImageIndex, Start = s.Start, End = s.End }));
                await responseStream.WriteAsync(new EncodeResponse { Key = request.Key, Summary = summary });
            }
        }
    }
}
