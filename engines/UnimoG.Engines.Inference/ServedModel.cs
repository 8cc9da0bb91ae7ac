using UnimoG.Contracts.V1;
using UnimoG.Data.Sampling;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Engines.Inference;

/// <summary>The served model as the contract describes it.</summary>
public static class ServedModel
{
    /// <summary>The contract's description of a model folder (configuration files only).</summary>
    public static ModelInfo Describe(this ModelFolder folder) => new()
    {
        Model = folder.Id,
        Untrained = folder.Untrained,
        Encoder = folder.Encoder == EncoderKind.Mllm ? "mllm" : "clip-text",
        CrossAttentionDim = folder.CrossAttentionDim,
        LatentChannels = folder.LatentChannels,
        VaeScaleFactor = folder.VaeScaleFactor,
        DefaultWidth = folder.DefaultWidth,
        DefaultHeight = folder.DefaultHeight,
        LinearPreview = folder.Preview is not null,
        MaxPromptImages = folder.MaxPromptImages,
        Samplers = { SamplerPresets.All.Select(p => new SamplerInfo { Name = p.Name, Title = p.Title, DiffusersClass = p.DiffusersClass, Stochastic = p.Stochastic, KarrasSigmas = p.Karras }) },
        DefaultSampler = SamplerPresets.Default,
    };
}
