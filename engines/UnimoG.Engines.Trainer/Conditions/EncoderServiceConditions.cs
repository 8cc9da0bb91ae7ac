using Google.Protobuf;
using Grpc.Net.Client;
using UnimoG.Client;
using UnimoG.Client.Torch;
using UnimoG.Contracts.V1;
using UnimoG.Modeling;
using UnimoG.Engines.Trainer.Data;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Conditions;

/// <summary>
/// Conditions from the Encoder service through the typed <see cref="EncoderClient"/>: each batch's prompts go over
/// <c>EncodeMany</c> calls (at most <c>requestBatch</c> prompts each), the conditions come back copy-free with their
/// own key masks and visual spans. Entity images travel inline as PNG bytes, squared on white as the encoder
/// expects. The channel is the caller's: the Trainer host passes one from the hosting library (discovery, TLS); the
/// CLI one to the configured address.
/// </summary>
public sealed class EncoderServiceConditions : IConditionSource
{
    private readonly EncoderClient _client;
    private readonly IDisposable? _owned;
    private readonly string _model;
    private readonly int _requestBatch;
    private readonly TimeSpan _timeout;

    /// <param name="owned">Disposed with this source (e.g. a channel made for it).</param>
    public EncoderServiceConditions(EncoderClient client, string description, string model = "", int requestBatch = 32, TimeSpan? timeout = null, IDisposable? owned = null)
    {
        _client = client;
        _owned = owned;
        _model = model;
        _requestBatch = requestBatch;
        _timeout = timeout ?? TimeSpan.FromMinutes(5);
        Description = description;
        using var probe = Unconditional();
        Width = (int)probe.Width;
    }

    /// <summary>Over a channel of its own to <paramref name="address"/> (no discovery).</summary>
    public static EncoderServiceConditions ForAddress(string address, string model = "", int requestBatch = 32, TimeSpan? timeout = null)
    {
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
        try
        {
            return new EncoderServiceConditions(new EncoderClient(new Encoder.EncoderClient(channel)), $"Encoder service at {address}", model, requestBatch, timeout, channel);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public string Description { get; }
    public int Width { get; }

    public Conditioning Encode(IReadOnlyList<ConditionRequest> requests)
    {
        var rows = new List<Conditioning>();
        try
        {
            for (var start = 0; start < requests.Count; start += _requestBatch)
                rows.AddRange(Call(requests.Skip(start).Take(_requestBatch).Select(r => r.Prompt).ToList()));
            using var scope = NewDisposeScope();
            var batch = Conditioning.Concat(rows);
            var mask = batch.AttentionMask ?? ones(batch.BatchSize, batch.Length, ScalarType.Int64);
            return new Conditioning(batch.HiddenStates.MoveToOuterDisposeScope(), mask.to_type(ScalarType.Int64).MoveToOuterDisposeScope(), batch.Spans);
        }
        finally
        {
            foreach (var r in rows) r.Dispose();
        }
    }

    /// <summary>The service's encoding of the empty prompt.</summary>
    public Conditioning Unconditional() => Call([[new PromptPiece.Text("")]])[0];

    /// <summary>One EncodeMany call; synchronous on purpose (the training step is, and grad mode is per thread).</summary>
    private List<Conditioning> Call(IReadOnlyList<IReadOnlyList<PromptPiece>> prompts) =>
        Task.Run(() => CallAsync(prompts)).GetAwaiter().GetResult();

    private async Task<List<Conditioning>> CallAsync(IReadOnlyList<IReadOnlyList<PromptPiece>> prompts)
    {
        // The empty prompt is the contract's unconditional request (a prompt itself may not be empty).
        var requests = prompts.Select(p => p.All(x => x is PromptPiece.Text { Value.Length: 0 })
            ? new EncodeRequest { Model = _model, Unconditional = true }
            : new EncodeRequest { Model = _model, Prompt = ToProto(p) }).ToList();
        var results = new List<Conditioning>(prompts.Count);
        try
        {
            await foreach (var wire in _client.EncodeManyAsync(requests, deadline: DateTime.UtcNow + _timeout))
                using (wire)
                    results.Add(ToConditioning(wire));
        }
        catch
        {
            foreach (var r in results) r.Dispose();
            throw;
        }
        return results;
    }

    private static Conditioning ToConditioning(WireConditioning wire)
    {
        var hidden = wire.HiddenStates.ToTorch(dtype: ScalarType.Float32);
        var mask = wire.AttentionMask.ToTorch(dtype: ScalarType.Int64);
        var spans = wire.Spans.Select(VisualSpans.FromWire).ToList();
        return new Conditioning(hidden, mask, [spans]);
    }

    private static Prompt ToProto(IReadOnlyList<PromptPiece> prompt)
    {
        var p = new Prompt();
        foreach (var piece in prompt)
            p.Parts.Add(piece switch
            {
                PromptPiece.Text t => new PromptPart { Text = t.Value },
                PromptPiece.Image im => new PromptPart { Image = new ImageInput { Data = UnsafeByteOperations.UnsafeWrap(EntitySegments.SquarePng(im.Segment.Read())) } },
                _ => throw new ArgumentOutOfRangeException(nameof(prompt)),
            });
        return p;
    }

    public void Dispose() => _owned?.Dispose();
}
