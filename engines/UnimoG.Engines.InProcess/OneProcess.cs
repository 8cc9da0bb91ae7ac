using UnimoG.Data.Config;
using UnimoG.Engines.Inference;
using UnimoG.Engines.Gateway;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Engines.InProcess;

/// <summary>
/// Every service in this process (one-process mode): the encoder, denoiser (with its batcher) and VAE engines the
/// gRPC services wrap, joined by in-process adapters (no loopback hosts, no serialisation) under the same
/// <see cref="GenerationPipeline"/> the gateway runs. Same validation, same errors, same numbers.
/// </summary>
public sealed class OneProcess : IDisposable
{
    private readonly EncoderEngine _encoder;
    private readonly DenoiseBatcher _batcher;
    private readonly VaeEngine _vae;

    public ModelFolder Folder { get; }
    public GenerationPipeline Pipeline { get; }
    public EncoderEngine Encoder => _encoder;
    public DenoiseBatcher Denoiser => _batcher;
    public VaeEngine Vae => _vae;

    private OneProcess(ModelFolder folder, EncoderEngine encoder, DenoiseBatcher batcher, VaeEngine vae, GenerationPipeline pipeline)
    {
        Folder = folder;
        _encoder = encoder;
        _batcher = batcher;
        _vae = vae;
        Pipeline = pipeline;
    }

    public static OneProcess Load(string modelPath, ModelOptions? model = null, GatewayOptions? gateway = null, DenoiserOptions? denoiser = null, ILoggerFactory? logs = null,
        EncoderOptions? encoderOptions = null, VaeOptions? vaeOptions = null)
    {
        model ??= new ModelOptions { Path = modelPath };
        gateway ??= new GatewayOptions();
        denoiser ??= new DenoiserOptions();
        encoderOptions ??= new EncoderOptions();
        vaeOptions ??= new VaeOptions();
        logs ??= NullLoggerFactory.Instance;
        // What a host checks at start-up, before anything loads: one line naming each bad setting.
        var problems = model.Validate(ModelOptions.Section).Concat(denoiser.Validate(DenoiserOptions.Section)).Concat(gateway.Validate(GatewayOptions.Section))
            .Concat(encoderOptions.Validate(EncoderOptions.Section)).Concat(vaeOptions.Validate(VaeOptions.Section)).ToList();
        if (problems.Count > 0) throw new ModelFolderException(string.Join(" ", problems));
        var folder = ModelFolder.Open(modelPath, model.UNetPath);
        EncoderEngine? encoder = null;
        DenoiseBatcher? batcher = null;
        try
        {
            encoder = EncoderEngine.Load(folder, encoderOptions, model);
            batcher = new DenoiseBatcher(DenoiserModel.Load(folder, model, model.PlacementFor(denoiser.Placement)), denoiser, log: logs.CreateLogger<DenoiseBatcher>());
            var vae = VaeEngine.Load(folder, vaeOptions, model);
            var (e, b) = (encoder, batcher);
            var pipeline = new GenerationPipeline(new InProcessEncoder(() => e), new InProcessDenoiser(() => b), new InProcessVae(() => vae),
                gateway, new ImageStore(gateway.UploadBytes), logs.CreateLogger<GenerationPipeline>());
            return new OneProcess(folder, encoder, batcher, vae, pipeline);
        }
        catch
        {
            encoder?.Dispose();
            batcher?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _batcher.Dispose();
        _encoder.Dispose();
        _vae.Dispose();
    }
}
