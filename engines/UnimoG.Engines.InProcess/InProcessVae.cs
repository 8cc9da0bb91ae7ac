using UnimoG.Engines.Inference;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;

namespace UnimoG.Engines.InProcess;

/// <summary>The VAE without the network (one-process mode): the same <see cref="VaeEngine"/>, the same errors.</summary>
public sealed class InProcessVae(Func<VaeEngine> engine) : IVaeClient
{
    public Task<IReadOnlyList<byte[]>> DecodeAsync(WireTensor latent, CancellationToken cancellationToken = default, DateTime? deadline = null) =>
        Task.Run(() =>
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var z = latent.ToTorch();
                return engine().Decode(z);
            }
            catch (Exception e)
            {
                throw Faults.ForClient(e);
            }
        }, CancellationToken.None);

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(engine().Info);
        }
        catch (Exception e)
        {
            throw Faults.ForClient(e);
        }
    }
}
