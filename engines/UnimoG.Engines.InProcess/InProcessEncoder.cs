using UnimoG.Engines.Inference;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines;

namespace UnimoG.Engines.InProcess;

/// <summary>
/// The encoder without the network (one-process mode): the same <see cref="EncoderEngine"/> the gRPC service wraps,
/// the same errors (as <see cref="UnimoGException"/>s), and tensors handed over instead of streamed.
/// </summary>
public sealed class InProcessEncoder(Func<EncoderEngine> engine) : IEncoderClient
{
    public Task<EncodedPrompt> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null) =>
        Task.Run(() =>
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                var e = engine();
                using var encoded = e.Encode(request);
                var c = encoded.Condition;
                var spans = c.Spans.Count == 0 ? [] : c.Spans[0].Select(s => new VisualSpan { ImageIndex = s.ImageIndex, Start = s.Start, End = s.End }).ToList();
                return new EncodedPrompt(c.HiddenStates.clone(), c.AttentionMask!.clone(), spans, e.Folder.Id, encoded.CacheHit);
            }
            catch (Exception x)
            {
                throw Faults.ForClient(x);
            }
        }, CancellationToken.None);

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(engine().Info);
        }
        catch (Exception x)
        {
            throw Faults.ForClient(x);
        }
    }
}
