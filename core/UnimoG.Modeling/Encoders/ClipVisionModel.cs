using UnimoG.Modeling.Diffusion;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

public sealed class ClipVisionEmbeddings : nn.Module
{
    private readonly ClipVisionConfig _config;
    public readonly Parameter class_embedding;
    public readonly Conv2d patch_embedding;
    public readonly Embedding position_embedding;

    public ClipVisionEmbeddings(ClipVisionConfig c) : base(nameof(ClipVisionEmbeddings))
    {
        _config = c;
        class_embedding = Layers.RandomParameter(c.HiddenSize);
        patch_embedding = Layers.Conv2d(c.NumChannels, c.HiddenSize, c.PatchSize, stride: c.PatchSize, bias: false);
        position_embedding = Layers.Embedding(c.NumPositions, c.HiddenSize);
        RegisterComponents();
    }

    public Tensor forward(Tensor pixelValues)
    {
        using var scope = torch.NewDisposeScope();
        var b = pixelValues.shape[0];
        // The model's entry: pixels in the weights' dtype, on their device (transformers: pixel_values.to(dtype=target_dtype)).
        var px = pixelValues.CastLike(patch_embedding.weight!);
        var patches = patch_embedding.forward(px).flatten(2).transpose(1, 2);                                       // [B, P, D]
        var cls = class_embedding.view(1, 1, -1).expand(b, 1, -1);                                                  // [B, 1, D]
        var positions = torch.arange(_config.NumPositions, ScalarType.Int64, px.device).unsqueeze(0);             // [1, P+1]
        return (torch.cat([cls, patches], 1) + position_embedding.forward(positions)).MoveToOuterDisposeScope();
    }
}

public sealed class ClipVisionTransformer : nn.Module
{
    private readonly ClipVisionConfig _config;
    public readonly ClipVisionEmbeddings embeddings;
    public readonly LayerNorm pre_layrnorm; // sic: the checkpoint's spelling
    public readonly ClipEncoder encoder;
    public readonly LayerNorm post_layernorm;

    public ClipVisionTransformer(ClipVisionConfig c) : base(nameof(ClipVisionTransformer))
    {
        _config = c;
        embeddings = new ClipVisionEmbeddings(c);
        pre_layrnorm = Layers.LayerNorm(c.HiddenSize, c.LayerNormEps);
        encoder = new ClipEncoder(c.HiddenSize, c.NumAttentionHeads, c.IntermediateSize, c.HiddenAct, c.LayerNormEps, c.NumHiddenLayers);
        post_layernorm = Layers.LayerNorm(c.HiddenSize, c.LayerNormEps);
        RegisterComponents();
    }

    public ClipOutput forward(Tensor pixelValues)
    {
        var c = _config;
        if (pixelValues.dim() != 4 || pixelValues.shape[1] != c.NumChannels || pixelValues.shape[2] != c.ImageSize || pixelValues.shape[3] != c.ImageSize)
            throw new ArgumentException($"pixel_values must be [B, {c.NumChannels}, {c.ImageSize}, {c.ImageSize}], got [{string.Join(", ", pixelValues.shape)}]");
        using var embedded = embeddings.forward(pixelValues);
        var states = encoder.forward(pre_layrnorm.forward(embedded), null, null);
        var last = states[^1].alias();                            // not post-normed, as transformers
        using var cls = last.select(1, 0);
        var pooled = post_layernorm.forward(cls);                 // [B, D]
        return new ClipOutput(last, pooled, states);
    }
}

/// <summary>transformers' <c>CLIPVisionModel</c>: keys <c>vision_model.*</c>.</summary>
public sealed class ClipVisionModel : nn.Module
{
    public ClipVisionConfig Config { get; }
    public readonly ClipVisionTransformer vision_model;

    public ClipVisionModel(ClipVisionConfig config) : base(nameof(ClipVisionModel))
    {
        Config = config;
        vision_model = new ClipVisionTransformer(config);
        RegisterComponents();
    }

    /// <param name="pixelValues">[B, C, H, W], CLIP-normalised, any floating dtype and device (cast to the weights')</param>
    /// <returns>hidden states in the weights' dtype on their device: the caller converts</returns>
    public ClipOutput forward(Tensor pixelValues) => vision_model.forward(pixelValues);

    public static ClipVisionModel FromPretrained(string folder, string? variant = null, ModelPlacement? at = null)
    {
        var config = ClipVisionConfig.Load(folder);
        return Pretrained.LoadFrozen(() => new ClipVisionModel(config), folder, variant, at);
    }
}
