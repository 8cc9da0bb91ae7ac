using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Encoders;
using UnimoG.Data.Config;

namespace UnimoG.Mini;

/// <summary>
/// The shipped mini UNIMO-G's architecture (docs/mini-model.md): 64x64x3 images, 16x16x4 latents, a MiniGPT-4-shaped
/// MLLM (ViT on 8x8 patches, Q-Former with 8 queries, 256-wide 4-layer GQA LLaMA over our own 2,048-piece
/// tokenizer) and the U-Net the trainer stage builds; together at most <see cref="BudgetBytes"/> stored as F16.
/// </summary>
public static class MiniConfigs
{
    public const int ImageSize = 64;
    public const int LatentSize = 16;
    public const int LatentChannels = 4;
    /// <summary>Everything shipped in <c>models/unimog-mini</c> (weights, configs, tokenizer) must stay under this.</summary>
    public const long BudgetBytes = 30L * 1000 * 1000;
    /// <summary>Our SentencePiece model's size (scripts/train-mini-tokenizer.py --vocab-size).</summary>
    public const int VocabSize = 2048;
    public const int LlmWidth = 256;
    public const string ModelId = "unimog-mini-mllm";

    /// <summary>
    /// diffusers AutoencoderKL, three levels 32/64/64 (64 -> 32 -> 16 pixels), one resnet per encoder level (two per
    /// decoder level), mid-block attention at 16x16, 4 latent channels. <c>scaling_factor</c> is set by training
    /// (1 / std of the latents, as Stable Diffusion's 0.18215 was found). Group norm with 8 groups (4-8 channels each,
    /// Stable Diffusion has 4-16): 32 groups of 32 channels would be instance norm, which maps every flat-colour
    /// region, of which emoji scenes are full, to the same activations right before the decoder's output.
    /// </summary>
    public const string VaeJson = """
        {
          "_class_name": "AutoencoderKL",
          "act_fn": "silu",
          "block_out_channels": [32, 64, 64],
          "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
          "in_channels": 3,
          "latent_channels": 4,
          "layers_per_block": 1,
          "norm_num_groups": 8,
          "out_channels": 3,
          "sample_size": 64,
          "scaling_factor": 1.0,
          "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
        }
        """;

    /// <summary>
    /// The shipped U-Net (issue 8), sized by measurement for the recipe's ~1.5 h U-Net budget on the shared 2-core
    /// machine: SD's block layout at three levels 32/64/96 (2.35 M parameters, 4.7 MB in F16) over the 16x16x4 latent,
    /// cross-attention to the 256-wide MLLM states at the first two levels and the mid block, 8 heads, group norm with
    /// 8 groups (4-12 channels each). A batch-32 training step took about half the 7.4 M-parameter 64/128/160
    /// candidate's (median 7.2 s against 14.1 s, one thread, load average ~14; most time goes to the 16x16 level,
    /// whose width this halves), so the budget buys twice the steps (docs/mini-model.md).
    /// </summary>
    public const string UNetJson = """
        {
          "_class_name": "UNet2DConditionModel",
          "act_fn": "silu",
          "attention_head_dim": 8,
          "block_out_channels": [32, 64, 96],
          "cross_attention_dim": 256,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "in_channels": 4,
          "layers_per_block": 1,
          "mid_block_type": "UNetMidBlock2DCrossAttn",
          "norm_eps": 1e-05,
          "norm_num_groups": 8,
          "out_channels": 4,
          "sample_size": 16,
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
        }
        """;

    public static AutoencoderKLConfig Vae => ConfigJson.Parse<AutoencoderKLConfig>(VaeJson, "mini vae config");
    public static UNet2DConditionConfig UNet => ConfigJson.Parse<UNet2DConditionConfig>(UNetJson, "mini unet config");

    /// <summary>
    /// The MLLM: CLIP-structured ViT (192 wide, 4 layers, 3 heads, 8x8 patches of a 64x64 image: 64 patches + class
    /// token), MiniGPT-4's Q-Former bridge (8 learned queries, 2 layers cross-attending every layer), a linear
    /// projection to 256, and a LLaMA (256 wide, 4 layers, 8 query heads sharing 4 key/value heads, SwiGLU 512,
    /// tied embeddings). <c>&lt;Img&gt;</c> / <c>&lt;/Img&gt;</c> are single pieces of our tokenizer.
    /// </summary>
    public static MllmArchitecture Mllm(string adapter = "qformer") => adapter switch
    {
        "qformer" => new(
            new MllmConfig { ModelId = ModelId, Adapter = "qformer", NumQueryTokens = 8, VisionFeatureLayer = -1, VisionPostLayernorm = true },
            Vision,
            new QFormerConfig { HiddenSize = 192, NumHiddenLayers = 2, NumAttentionHeads = 3, IntermediateSize = 384, CrossAttentionFrequency = 1, EncoderHiddenSize = 192 },
            Llm),
        // LLaVA's bridge for comparison: one LLM token per patch (64 without the class token).
        "mlp" => new(
            new MllmConfig { ModelId = ModelId, Adapter = "mlp", VisionFeatureLayer = -1, VisionFeatureSelectStrategy = "default", VisionPostLayernorm = true },
            Vision, null, Llm),
        _ => throw new ArgumentException($"adapter '{adapter}' must be qformer or mlp"),
    };

    public static ClipVisionConfig Vision { get; } = new()
    {
        HiddenSize = 192, IntermediateSize = 768, NumHiddenLayers = 4, NumAttentionHeads = 3,
        ImageSize = ImageSize, PatchSize = 8, HiddenAct = "gelu", LayerNormEps = 1e-5,
    };

    public static LlamaConfig Llm { get; } = new()
    {
        VocabSize = VocabSize, HiddenSize = LlmWidth, IntermediateSize = 512, NumHiddenLayers = 4,
        NumAttentionHeads = 8, NumKeyValueHeads = 4, MaxPositionEmbeddings = 512, RmsNormEps = 1e-6,
        TieWordEmbeddings = true, BosTokenId = 1, EosTokenId = 2, PadTokenId = 0,
    };

    /// <summary>
    /// CLIP preprocessing for the 64-pixel tower: shortest edge 64 (bicubic), centre crop 64, CLIP mean/std. Entity
    /// images are padded to a square on white first (<see cref="Data.EntityImages.SquareOnWhite"/>), so the crop cuts nothing.
    /// </summary>
    public const string PreprocessorJson = """
        {
          "crop_size": {"height": 64, "width": 64},
          "do_center_crop": true,
          "do_normalize": true,
          "do_rescale": true,
          "do_resize": true,
          "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "CLIPImageProcessor",
          "image_std": [0.26862954, 0.26130258, 0.27577711],
          "resample": 3,
          "rescale_factor": 0.00392156862745098,
          "size": {"shortest_edge": 64}
        }
        """;
}
