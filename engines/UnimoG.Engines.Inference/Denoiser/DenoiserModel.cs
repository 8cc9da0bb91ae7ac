using UnimoG.Modeling;
using UnimoG.Contracts.V1;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Pipelines;
using UnimoG.Modeling.Sampling;
using UnimoG.Modeling.Schedulers;

namespace UnimoG.Engines.Inference;

/// <summary>The U-Net, its samplers (shared by all requests: per-request state lives in each request's run) and the preview factors.</summary>
public sealed class DenoiserModel : IDisposable
{
    public ModelFolder Folder { get; }
    public ModelInfo Info { get; }
    /// <summary>The U-Net; null for a stand-in model (tests of the engine's own tensor work on the meta device).</summary>
    public UNet2DConditionModel? UNet { get; }
    /// <summary>Every served sampler, built from the folder's scheduler config.</summary>
    public SamplerCatalog Samplers { get; }
    public LatentPreviewFactors? Preview => Folder.Preview;

    /// <summary>The U-Net as samplers call it.</summary>
    public DiffusionModel Model { get; }

    /// <summary>Where the U-Net lives and computes: every tensor the batcher makes for it is made there.</summary>
    public ModelPlacement Placement { get; }

    /// <summary>A stand-in model at <paramref name="placement"/>: the engine's tensor work without a U-Net (see PlacementTests).</summary>
    internal DenoiserModel(ModelFolder folder, DiffusionModel model, ModelPlacement placement)
    {
        Folder = folder;
        Info = ServedModel.Describe(folder);
        Samplers = new SamplerCatalog(folder.Scheduler);
        Model = model;
        Placement = placement;
    }

    public DenoiserModel(ModelFolder folder, UNet2DConditionModel unet)
    {
        Folder = folder;
        Info = ServedModel.Describe(folder);
        UNet = unet;
        var weight = unet.parameters().First();
        Placement = new ModelPlacement(weight.device, weight.dtype);
        Samplers = new SamplerCatalog(folder.Scheduler);
        Model = SamplingAdapters.FromUNet((x, t, h, m) => unet.forward(x, t, h, m));
    }

    /// <summary>The folder's U-Net built at <paramref name="at"/> (default: CPU float32) and its weights loaded in place.</summary>
    public static DenoiserModel Load(ModelFolder folder, ModelOptions options, ModelPlacement? at = null)
    {
        if (options.Threads > 0) TorchSharp.torch.set_num_threads(options.Threads);
        return new DenoiserModel(folder, UNet2DConditionModel.FromPretrained(folder.UNetFolder, at: at ?? ModelPlacement.Cpu));
    }

    public void Dispose() => UNet?.Dispose();
}
