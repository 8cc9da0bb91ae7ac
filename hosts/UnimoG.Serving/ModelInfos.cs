using UnimoG.Contracts.V1;
using UnimoG.Modeling.Pipelines;

namespace UnimoG.Serving;

public static class ModelInfos
{
    /// <summary>The contract's description of a model folder (configuration files only).</summary>
    public static ModelInfo Describe(ModelFolder folder) => new()
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
    };

    /// <summary>FailedPrecondition unless <paramref name="requested"/> is empty or names the served model.</summary>
    public static void CheckModel(string requested, string served, string field = "model")
    {
        if (requested.Length > 0 && !string.Equals(requested, served, StringComparison.Ordinal))
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.FailedPrecondition,
                $"{field}: model '{requested}' is not served here; this deployment serves '{served}' (leave {field} empty for it)"));
    }
}
