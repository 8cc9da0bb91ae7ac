using System.Runtime.CompilerServices;
using Grpc.Core;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Client;

/// <summary>The encoder over gRPC. Every call is disposed when it ends, however it ends.</summary>
public sealed class EncoderClient(Encoder.EncoderClient grpc, TensorLimits? limits = null) : IEncoderClient
{
    public Encoder.EncoderClient Grpc { get; } = grpc;

    public async Task<WireConditioning> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var call = Grpc.Encode(request, deadline: deadline, cancellationToken: cancellationToken);
        var reader = new ConditionReader(limits);
        try
        {
            await foreach (var response in Streams.ReadAll(call.ResponseStream, cancellationToken).ConfigureAwait(false))
                if (reader.Accept(response) is { } done) return done;
            throw new UnimoGException(StatusCode.Internal, "the encoder's stream ended without a summary");
        }
        finally
        {
            reader.Dispose();
        }
    }

    /// <summary>
    /// Many prompts over one <c>EncodeMany</c> call (training, dataset caching): requests are streamed while answers
    /// come back; the conditions are returned in request order. Keys are set by this method.
    /// </summary>
    public async IAsyncEnumerable<WireConditioning> EncodeManyAsync(IReadOnlyList<EncodeRequest> requests,
        [EnumeratorCancellation] CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var call = Grpc.EncodeMany(deadline: deadline, cancellationToken: cancellationToken);
        var send = SendAllAsync(call.RequestStream, requests, cancellationToken);
        var reader = new ConditionReader(limits);
        try
        {
            var next = 0;
            await foreach (var response in Streams.ReadAll(call.ResponseStream, cancellationToken).ConfigureAwait(false))
            {
                if (response.Key != Key(next))
                    throw new UnimoGException(StatusCode.Internal, $"the encoder answered '{response.Key}' where '{Key(next)}' was due");
                if (reader.Accept(response) is not { } done) continue;
                next++;
                yield return done;
            }
            await send.ConfigureAwait(false);
            if (next != requests.Count)
                throw new UnimoGException(StatusCode.Internal, $"the encoder answered {next} of {requests.Count} prompts");
        }
        finally
        {
            reader.Dispose();
        }
    }

    private static string Key(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task SendAllAsync(IClientStreamWriter<EncodeRequest> writer, IReadOnlyList<EncodeRequest> requests, CancellationToken ct)
    {
        try
        {
            for (var i = 0; i < requests.Count; i++)
            {
                var r = requests[i].Clone();
                r.Key = Key(i);
                await writer.WriteAsync(r, ct).ConfigureAwait(false);
            }
            await writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            // The server ended the call early; its status comes with the response stream.
        }
    }

    /// <summary>Uploads an image once (streamed in 1 MiB pieces); prompts may then name it by SHA-256.</summary>
    public Task<ImageRef> UploadImageAsync(ReadOnlyMemory<byte> image, CancellationToken cancellationToken = default) =>
        Upload.SendAsync(Grpc.UploadImage(cancellationToken: cancellationToken), image, cancellationToken);

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) =>
        Streams.Call(async () => await Grpc.DescribeAsync(new DescribeRequest(), cancellationToken: cancellationToken));

    /// <summary>One encoding's chunks and summary, in stream order, to a <see cref="WireConditioning"/>.</summary>
    private sealed class ConditionReader(TensorLimits? limits) : IDisposable
    {
        private TensorAssembler _assembler = new(limits ?? new TensorLimits());

        public WireConditioning? Accept(EncodeResponse response)
        {
            try
            {
                if (response.ItemCase == EncodeResponse.ItemOneofCase.Chunk)
                {
                    _assembler.Accept(response.Chunk);
                    return null;
                }
                if (response.ItemCase != EncodeResponse.ItemOneofCase.Summary) return null;
                _assembler.Complete();
                var hidden = Take(TensorNames.HiddenStates, h => h.Shape.Length == 3 && h.DataType.IsFloat() ? null : $"expected a float [1, L, D], got {h}");
                var mask = Take(TensorNames.AttentionMask, h => h.Shape.Length == 2 ? null : $"expected [1, L], got {h}");
                var summary = response.Summary;
                _assembler.Dispose();
                _assembler = new TensorAssembler(limits ?? new TensorLimits());
                return new WireConditioning(hidden, mask, summary.Spans, summary.Model, summary.CacheHit);
            }
            catch (TensorStreamException e)
            {
                throw new UnimoGException(StatusCode.Internal, $"the encoder sent a broken tensor stream: {e.Message}", e);
            }
        }

        private WireTensor Take(string name, Func<TensorHeader, string?> check)
        {
            var tensor = WireTensor.Take(_assembler, name);
            if (check(tensor.Header) is { } problem) throw new TensorStreamException(name, problem);
            return tensor;
        }

        public void Dispose() => _assembler.Dispose();
    }
}
