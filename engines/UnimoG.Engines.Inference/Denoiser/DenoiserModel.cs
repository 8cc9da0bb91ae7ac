using UnimoG.Contracts.V1;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Pipelines;
using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;
using UnimoG.Engines;

namespace UnimoG.Engines.Inference;

/// <summary>The U-Net, its DDIM scheduler (shared by all requests: the batched step is stateless) and the preview factors.</summary>
public sealed class DenoiserModel : IDisposable
{
    public ModelFolder Folder { get; }
    public ModelInfo Info { get; }
    public UNet2DConditionModel UNet { get; }
    public DdimScheduler Scheduler { get; }
    public LatentPreviewFactors? Preview => Folder.Preview;

    public DenoiserModel(ModelFolder folder, UNet2DConditionModel unet)
    {
        Folder = folder;
        Info = ServedModel.Describe(folder);
        UNet = unet;
        Scheduler = new DdimScheduler(folder.Scheduler);
    }

    public static DenoiserModel Load(ModelFolder folder, ModelOptions options)
    {
        if (options.Threads > 0) TorchSharp.torch.set_num_threads(options.Threads);
        return new DenoiserModel(folder, UNet2DConditionModel.FromPretrained(folder.UNetFolder));
    }

    public void Dispose() => UNet.Dispose();
}
