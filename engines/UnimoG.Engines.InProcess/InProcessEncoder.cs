using UnimoG.Engines.Inference;
using UnimoG.Client;
using UnimoG.Contracts.V1;

namespace UnimoG.Engines.InProcess;

/// <summary>
/// The encoder without the network (one-process mode): the same <see cref="EncoderEngine"/> the gRPC service wraps,
/// the same errors (as <see cref="UnimoGException"/>s), and tensors handed over instead of streamed.
/// </summary>
public sealed class InProcessEncoder(Func<EncoderEngine> engine) : IEncoderClient
{
    public Task<WireConditioning> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null) =>
        Task.Run(() =>
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                return engine().Encode(request, cancellationToken);
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
