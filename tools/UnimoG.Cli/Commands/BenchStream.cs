using System.CommandLine;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnimoG.Cli.Bench;
using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog bench stream</c>: a 64 MiB float32 tensor over one gRPC stream on loopback HTTP/2, both directions,
/// copy-free (chunks wrap the tensor's native memory; received chunks land in a preallocated tensor) vs naive
/// (each chunk copied into a new array to send; each received chunk turned into an array, then copied).
/// </summary>
internal static class BenchStream
{
    public static Command Create()
    {
        var mib = new Option<int>("--mib") { Description = "tensor size in MiB", DefaultValueFactory = _ => 64 };
        var chunk = new Option<int>("--chunk-kib") { Description = "chunk size in KiB", DefaultValueFactory = _ => 1024 };
        var runs = new Option<int>("--runs") { Description = "measured runs (after one warm-up)", DefaultValueFactory = _ => 5 };
        var command = new Command("stream", "Tensor stream throughput on loopback gRPC: copy-free vs naive, upload and download.") { mib, chunk, runs };
        command.SetAction(async (parse, ct) =>
        {
            var bytes = (long)parse.GetValue(mib) << 20;
            var chunkBytes = parse.GetValue(chunk) << 10;
            var port = LoopbackCluster.FreePort();
            var b = WebApplication.CreateBuilder();
            b.Logging.ClearProviders();
            b.WebHost.ConfigureKestrel(k => k.ListenLocalhost(port, o => o.Protocols = HttpProtocols.Http2));
            b.Services.AddGrpc(o => o.MaxReceiveMessageSize = 8 << 20);
            await using var app = b.Build();
            app.MapGrpcService<EchoService>();
            await app.StartAsync(ct);
            using var channel = GrpcChannel.ForAddress($"http://localhost:{port}", new GrpcChannelOptions { MaxReceiveMessageSize = 8 << 20 });
            var client = new TensorEcho.TensorEchoClient(channel);
            using var tensor = arange(0, bytes / 4, dtype: ScalarType.Float32);
            Console.Out.WriteLine($"bench stream: {parse.GetValue(mib)} MiB float32, {parse.GetValue(chunk)} KiB chunks, loopback HTTP/2, {Environment.ProcessorCount} cores, load average {BenchCommand.Load()}");
            var results = new Dictionary<string, List<double>>();
            void Add(string name, double ms) => (results.TryGetValue(name, out var l) ? l : results[name] = []).Add(bytes / 1e6 / (ms / 1000));
            for (var run = 0; run <= parse.GetValue(runs); run++)
            {
                foreach (var naive in new[] { false, true })
                {
                    var up = await Time(() => Upload(client, tensor, chunkBytes, naive, ct));
                    var down = await Time(() => Download(client, bytes, chunkBytes, naive, ct));
                    if (run == 0) continue;
                    Add($"upload {(naive ? "naive" : "copy-free")}", up);
                    Add($"download {(naive ? "naive" : "copy-free")}", down);
                }
            }
            foreach (var (name, values) in results)
                Console.Out.WriteLine($"{name,-20} median {BenchServices.Median(values),6:0} MB/s over {values.Count} runs (min {values.Min():0}, max {values.Max():0})");
            Console.Out.WriteLine($"copy-free / naive: upload {BenchServices.Median(results["upload copy-free"]) / BenchServices.Median(results["upload naive"]):0.00}x, download {BenchServices.Median(results["download copy-free"]) / BenchServices.Median(results["download naive"]):0.00}x");
            await app.StopAsync(ct);
            return 0;
        });
        return command;
    }

    private static async Task Upload(TensorEcho.TensorEchoClient client, Tensor tensor, int chunkBytes, bool naive, CancellationToken ct)
    {
        using var call = client.Upload(new Metadata { { "x-naive", naive ? "1" : "0" } }, cancellationToken: ct);
        var chunks = naive ? TorchTensorStreams.CopiedChunks("x", tensor, chunkBytes) : TorchTensorStreams.Chunks("x", tensor, chunkBytes);
        foreach (var c in chunks) await call.RequestStream.WriteAsync(c, ct);
        await call.RequestStream.CompleteAsync();
        var summary = await call;
        if (summary.Bytes != tensor.NumberOfElements * 4) throw new InvalidOperationException($"the server received {summary.Bytes} bytes");
    }

    private static async Task Download(TensorEcho.TensorEchoClient client, long bytes, int chunkBytes, bool naive, CancellationToken ct)
    {
        using var call = client.Download(new DownloadRequest { Bytes = bytes, ChunkBytes = chunkBytes, Naive = naive }, cancellationToken: ct);
        using var received = await Receive(call.ResponseStream, naive, ct);
        if (received.NumberOfElements * 4 != bytes) throw new InvalidOperationException("short download");
    }

    /// <summary>Copy-free: straight into a preallocated tensor. Naive: every chunk to an array first, then copied in.</summary>
    private static async Task<Tensor> Receive(IAsyncStreamReader<TensorChunk> stream, bool naive, CancellationToken ct)
    {
        using var assembler = TorchTensorStreams.Assembler(new TensorLimits { MaxTensorBytes = 1L << 30 });
        Tensor? naiveTensor = null;
        long offset = 0;
        while (await stream.MoveNext(ct))
        {
            var c = stream.Current;
            if (!naive)
            {
                assembler.Accept(c);
                continue;
            }
            naiveTensor ??= empty(c.Shape.ToArray(), dtype: ScalarType.Float32);
            var array = c.Data.ToByteArray();
            array.CopyTo(naiveTensor.bytes.Slice((int)offset));
            offset += array.Length;
        }
        return naive ? naiveTensor! : assembler.TakeTensor("x");
    }

    private static async Task<double> Time(Func<Task> action)
    {
        var sw = Stopwatch.StartNew();
        await action();
        return sw.Elapsed.TotalMilliseconds;
    }

    private sealed class EchoService : TensorEcho.TensorEchoBase
    {
        public override async Task<UploadSummary> Upload(IAsyncStreamReader<TensorChunk> requestStream, ServerCallContext context)
        {
            var naive = context.RequestHeaders.GetValue("x-naive") == "1";
            using var t = await Receive(requestStream, naive, context.CancellationToken);
            return new UploadSummary { Bytes = t.NumberOfElements * 4 };
        }

        public override async Task Download(DownloadRequest request, IServerStreamWriter<TensorChunk> responseStream, ServerCallContext context)
        {
            using var t = arange(0, request.Bytes / 4, dtype: ScalarType.Float32);
            var chunks = request.Naive ? TorchTensorStreams.CopiedChunks("x", t, request.ChunkBytes) : TorchTensorStreams.Chunks("x", t, request.ChunkBytes);
            foreach (var c in chunks) await responseStream.WriteAsync(c, context.CancellationToken);
        }
    }
}
