using UnimoG.Client;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Cli;

/// <summary>
/// Counts the tensor bytes of one generation at the service boundaries: what the encoder returns (the same bytes go
/// on to the denoiser) and the latent the VAE is given (the bytes the denoiser returned). Served, each is one gRPC
/// hop's payload; the chunk framing adds a few bytes per 1 MiB chunk.
/// </summary>
internal sealed class WireMeter
{
    private long _conditions, _latent;
    public long Conditions => Interlocked.Read(ref _conditions);
    public long Latent => Interlocked.Read(ref _latent);
    public TensorDataType LatentType { get; private set; }

    public void Reset()
    {
        Interlocked.Exchange(ref _conditions, 0);
        Interlocked.Exchange(ref _latent, 0);
    }

    public IEncoderClient Encoder(IEncoderClient inner) => new CountingEncoder(inner, this);
    public IVaeClient Vae(IVaeClient inner) => new CountingVae(inner, this);

    private sealed class CountingEncoder(IEncoderClient inner, WireMeter meter) : IEncoderClient
    {
        public async Task<WireConditioning> EncodeAsync(EncodeRequest request, CancellationToken cancellationToken = default, DateTime? deadline = null)
        {
            var c = await inner.EncodeAsync(request, cancellationToken, deadline);
            Interlocked.Add(ref meter._conditions, c.HiddenStates.Bytes.Length + c.AttentionMask.Bytes.Length);
            return c;
        }

        public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) => inner.DescribeAsync(cancellationToken);
    }

    private sealed class CountingVae(IVaeClient inner, WireMeter meter) : IVaeClient
    {
        public Task<IReadOnlyList<byte[]>> DecodeAsync(WireTensor latent, CancellationToken cancellationToken = default, DateTime? deadline = null)
        {
            Interlocked.Add(ref meter._latent, latent.Bytes.Length);
            meter.LatentType = latent.DataType;
            return inner.DecodeAsync(latent, cancellationToken, deadline);
        }

        public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default) => inner.DescribeAsync(cancellationToken);
    }
}
