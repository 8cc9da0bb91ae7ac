using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;
using UnimoG.Modeling;
using UnimoG.Engines.Trainer.Data;
using static TorchSharp.torch;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Engines.Trainer.Conditions;

/// <summary>
/// Conditions from the Encoder service: each batch's prompts go over one <c>EncodeMany</c> call (requests streamed,
/// keyed by row), and come back as tensor chunks (<c>hidden_states</c> [1, L, D] FP32, <c>attention_mask</c> [1, L]
/// INT64) followed by a summary with the visual spans. Entity images travel inline as their PNG bytes.
/// </summary>
public sealed class EncoderServiceConditions : IConditionSource
{
    private readonly GrpcChannel? _ownedChannel;
    private readonly V1.Encoder.EncoderClient _client;
    private readonly string _model;
    private readonly int _requestBatch;
    private readonly TimeSpan _timeout;

    public EncoderServiceConditions(string address, string model = "", int requestBatch = 32, TimeSpan? timeout = null)
        : this(GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 8 << 20 }), model, requestBatch, timeout, owns: true)
    {
        Description = $"Encoder service at {address}";
    }

    public EncoderServiceConditions(GrpcChannel channel, string model = "", int requestBatch = 32, TimeSpan? timeout = null, bool owns = false)
    {
        _ownedChannel = owns ? channel : null;
        _client = new V1.Encoder.EncoderClient(channel);
        _model = model;
        _requestBatch = requestBatch;
        _timeout = timeout ?? TimeSpan.FromMinutes(5);
        Description = $"Encoder service at {channel.Target}";
        using var probe = Unconditional();
        Width = (int)probe.Width;
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
        using var call = _client.EncodeMany(deadline: DateTime.UtcNow + _timeout);
        var send = Task.Run(async () =>
        {
            for (var i = 0; i < prompts.Count; i++)
            {
                var key = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                // The empty prompt is the contract's unconditional request (a prompt itself may not be empty).
                await call.RequestStream.WriteAsync(prompts[i].All(p => p is PromptPiece.Text { Value.Length: 0 })
                    ? new EncodeRequest { Key = key, Model = _model, Unconditional = true }
                    : new EncodeRequest { Key = key, Model = _model, Prompt = ToProto(prompts[i]) });
            }
            await call.RequestStream.CompleteAsync();
        });
        var assemblers = new Dictionary<string, TensorAssembler>(StringComparer.Ordinal);
        var results = new Conditioning?[prompts.Count];
        try
        {
            await foreach (var response in call.ResponseStream.ReadAllAsync())
            {
                if (!int.TryParse(response.Key, out var row) || row < 0 || row >= prompts.Count)
                    throw new InvalidDataException($"Encoder service answered for unknown key '{response.Key}'");
                if (!assemblers.TryGetValue(response.Key, out var asm))
                    assemblers[response.Key] = asm = new TensorAssembler(new TensorLimits());
                if (response.ItemCase == EncodeResponse.ItemOneofCase.Chunk) { asm.Accept(response.Chunk); continue; }
                asm.Complete();
                results[row] = ToConditioning(asm, response.Summary, response.Key);
            }
            await send;
        }
        finally
        {
            foreach (var a in assemblers.Values) a.Dispose();
        }
        var missing = Array.FindIndex(results, r => r is null);
        if (missing >= 0) throw new InvalidDataException($"Encoder service sent no summary for prompt {missing}");
        return [.. results.Select(r => r!)];
    }

    private static Conditioning ToConditioning(TensorAssembler asm, EncodeSummary summary, string key)
    {
        var (hh, hb) = asm.Take("hidden_states");
        if (hh.DataType != TensorDataType.FP32 || hh.Shape.Length != 3 || hh.Shape[0] != 1)
            throw new InvalidDataException($"Encoder service: prompt {key}: hidden_states must be FP32 [1, L, D], got {hh}");
        using var _ = hb;
        var hidden = tensor(MemoryMarshal.Cast<byte, float>(hb.Bytes).ToArray(), hh.Shape);
        Tensor mask;
        if (asm.Tensors.ContainsKey("attention_mask"))
        {
            var (mh, mb) = asm.Take("attention_mask");
            using var __ = mb;
            mask = mh.DataType == TensorDataType.INT64
                ? tensor(MemoryMarshal.Cast<byte, long>(mb.Bytes).ToArray(), mh.Shape)
                : throw new InvalidDataException($"Encoder service: prompt {key}: attention_mask must be INT64, got {mh}");
        }
        else mask = ones(1, hh.Shape[1], ScalarType.Int64);
        var spans = summary.Spans.Select(s => new UnimoG.Modeling.VisualSpan(s.ImageIndex, s.Start, s.End)).ToList();
        return new Conditioning(hidden, mask, [spans]);
    }

    private static Prompt ToProto(IReadOnlyList<PromptPiece> prompt)
    {
        var p = new Prompt();
        foreach (var piece in prompt)
            p.Parts.Add(piece switch
            {
                PromptPiece.Text t => new PromptPart { Text = t.Value },
                PromptPiece.Image im => new PromptPart { Image = new ImageInput { Data = UnsafeByteOperations.UnsafeWrap(Data.EntitySegments.SquarePng(im.Segment.Read())) } },
                _ => throw new ArgumentOutOfRangeException(nameof(prompt)),
            });
        return p;
    }

    public void Dispose() => _ownedChannel?.Dispose();
}
