using System.Runtime.CompilerServices;
using Google.Protobuf;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>One event of a generation, in the order the gateway sends them.</summary>
public abstract record GenerationEvent
{
    private GenerationEvent() { }

    /// <summary>The request as it will run (defaults resolved), its id and seed, and whether the model is untrained.</summary>
    public sealed record Accepted(GenerateAccepted Info) : GenerationEvent;

    /// <summary>Waiting for a denoiser batch slot: <paramref name="Position"/> requests ahead (0: next), <paramref name="Active"/>
    /// being denoised. Sent when the wait starts and whenever the position changes, before the first <see cref="Progress"/>.</summary>
    public sealed record Queued(int Position, int Active) : GenerationEvent;

    /// <summary>Denoising step <paramref name="Step"/> (1-based) of <paramref name="Total"/> is done.</summary>
    public sealed record Progress(int Step, int Total, double ElapsedMs) : GenerationEvent;

    public sealed record Preview(int Step, int Index, byte[] Png, PreviewKind Kind) : GenerationEvent;

    public sealed record Image(int Index, byte[] Png, ulong Seed, int Width, int Height) : GenerationEvent;

    /// <summary>Milliseconds per stage.</summary>
    public sealed record Completed(GenerateCompleted Times) : GenerationEvent;

    public static GenerationEvent From(GenerateEvent e) => e.EventCase switch
    {
        GenerateEvent.EventOneofCase.Accepted => new Accepted(e.Accepted),
        GenerateEvent.EventOneofCase.Queued => new Queued(e.Queued.Position, e.Queued.Active),
        GenerateEvent.EventOneofCase.Progress => new Progress(e.Progress.Step, e.Progress.Total, e.Progress.ElapsedMs),
        GenerateEvent.EventOneofCase.Preview => new Preview(e.Preview.Step, e.Preview.Index, e.Preview.Png.ToByteArray(), e.Preview.Kind),
        GenerateEvent.EventOneofCase.Image => new Image(e.Image.Index, e.Image.Png.ToByteArray(), e.Image.Seed, e.Image.Width, e.Image.Height),
        GenerateEvent.EventOneofCase.Completed => new Completed(e.Completed),
        _ => throw new UnimoGException(global::Grpc.Core.StatusCode.Internal, $"unknown generation event {e.EventCase}"),
    };
}

/// <summary>What <see cref="UnimoGClient.GenerateImagesAsync"/> returns: the PNGs in order, the seed, the request id and the timings.</summary>
public sealed record GenerationResult(GenerateAccepted Accepted, IReadOnlyList<byte[]> Images, GenerateCompleted Times);

/// <summary>
/// The public UNIMO-G client (the gateway's <c>Generate</c>), over one gateway or several replicas. Every call is
/// disposed when it ends, however it ends (a call left undisposed keeps the server writing into a stream nobody
/// reads). Failures are <see cref="UnimoGException"/>s carrying the server's status and message. A generation that
/// fails Unavailable before its first event is tried again on the next replica (<see cref="RetryOptions"/>).
/// </summary>
public sealed partial class UnimoGClient
{
    private readonly Gateway.GatewayClient[] _replicas;
    private readonly RetryOptions _retry;
    private int _preferred; // the replica that last answered: calls start there

    public UnimoGClient(Gateway.GatewayClient grpc) : this([grpc]) { }

    /// <param name="replicas">Gateway replicas, tried in turn from the one that last answered.</param>
    /// <param name="retry">When to retry (validated here); defaults to <see cref="RetryOptions"/>' defaults.</param>
    public UnimoGClient(IReadOnlyList<Gateway.GatewayClient> replicas, RetryOptions? retry = null)
    {
        if (replicas.Count == 0) throw new ArgumentException("give at least one gateway replica", nameof(replicas));
        _replicas = [.. replicas];
        _retry = retry ?? new RetryOptions();
        _retry.Validate();
    }

    /// <summary>The first replica's gRPC client.</summary>
    public Gateway.GatewayClient Grpc => _replicas[0];

    public IReadOnlyList<Gateway.GatewayClient> Replicas => _replicas;

    /// <summary>Runs a generation to the end and returns its images.</summary>
    public async Task<GenerationResult> GenerateImagesAsync(GenerateRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        GenerateAccepted? accepted = null;
        GenerateCompleted? completed = null;
        var images = new SortedDictionary<int, byte[]>();
        await foreach (var e in GenerateAsync(request, cancellationToken, deadline).ConfigureAwait(false))
        {
            switch (e)
            {
                case GenerationEvent.Accepted a: accepted = a.Info; break;
                case GenerationEvent.Image i: images[i.Index] = i.Png; break;
                case GenerationEvent.Completed c: completed = c.Times; break;
            }
        }
        if (accepted is null || completed is null)
            throw new UnimoGException(global::Grpc.Core.StatusCode.Internal, "the generation stream ended before it completed");
        return new GenerationResult(accepted, images.Values.ToList(), completed);
    }

    // Uploads are kept by the replica that received them, so they go to the preferred one and are not retried elsewhere.
    public Task<ImageRef> UploadImageAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default) =>
        Upload.SendAsync(_replicas[Volatile.Read(ref _preferred)].UploadImage(cancellationToken: cancellationToken), image, cancellationToken);

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) =>
        Streams.Call(async () => await _replicas[Volatile.Read(ref _preferred)].DescribeAsync(new DescribeRequest(), cancellationToken: cancellationToken));

    /// <summary>A request for <paramref name="text"/> with placeholders <c>&lt;img1&gt;</c>.. referring to <paramref name="images"/> (encoded files).</summary>
    public static GenerateRequest Request(string text, params IEnumerable<byte[]> images)
    {
        var prompt = new Prompt { Text = text };
        prompt.Images.AddRange(images.Select(b => new ImageInput { Data = ByteString.CopyFrom(b) }));
        return new GenerateRequest { Prompt = prompt };
    }
}
