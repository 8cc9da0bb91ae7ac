using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Schedulers;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Configs;

/// <summary>
/// <c>placeholder</c>: the architecture of <c>unimog models init-placeholder</c>, an UNTRAINED stand-in UNIMO-G the
/// tests build in seconds (64x64 images, 16x16x4 latents). It is NOT the shipped mini model (that one's
/// architecture is <c>tools/UnimoG.Mini/PlaceholderConfigs.cs</c>; <c>unimog models info mini</c> describes it). A
/// MiniGPT-4-shaped MLLM (32-wide ViT on 32x32 crops, 2-layer Q-Former with 8 queries, 2-layer LLaMA 64 wide
/// over LLaMA-2's 32,000-token vocabulary, embeddings tied), a U-Net at channels 32/64/64 cross-attending to
/// the LLaMA's 64-wide states, a three-level VAE and Stable Diffusion's DDIM schedule.
/// </summary>
public static class PlaceholderConfigs
{
    public const string UNetJson = """
        {
          "_class_name": "UNet2DConditionModel",
          "sample_size": 16,
          "in_channels": 4,
          "out_channels": 4,
          "block_out_channels": [32, 64, 64],
          "layers_per_block": 2,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "mid_block_type": "UNetMidBlock2DCrossAttn",
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
          "cross_attention_dim": 64,
          "attention_head_dim": 4,
          "norm_num_groups": 8,
          "act_fn": "silu"
        }
        """;

    /// <summary>64x64x3 &lt;-&gt; 16x16x4. scaling_factor 1 until training measures the latents' spread.</summary>
    public const string VaeJson = """
        {
          "_class_name": "AutoencoderKL",
          "in_channels": 3,
          "out_channels": 3,
          "block_out_channels": [32, 64, 64],
          "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
          "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
          "layers_per_block": 1,
          "latent_channels": 4,
          "norm_num_groups": 16,
          "sample_size": 64,
          "scaling_factor": 1.0
        }
        """;

    public static UNet2DConditionConfig UNet => ConfigJson.Parse<UNet2DConditionConfig>(UNetJson, "placeholder unet config");
    public static AutoencoderKLConfig Vae => ConfigJson.Parse<AutoencoderKLConfig>(VaeJson, "placeholder vae config");
    public static DdimSchedulerConfig Scheduler => DiffusionConfigs.Sd15Scheduler;

    /// <summary>The placeholder MLLM; its LLaMA speaks LLaMA-2's vocabulary so the real tokenizer applies.</summary>
    public static MllmArchitecture Mllm { get; } = new(
        new MllmConfig { ModelId = "unimog-placeholder-mllm", Adapter = "qformer", NumQueryTokens = 8, MaxImages = 8 },
        new ClipVisionConfig { HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 2, PatchSize = 8, ImageSize = 32, HiddenAct = "gelu" },
        new QFormerConfig { HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64, CrossAttentionFrequency = 1, EncoderHiddenSize = 32 },
        new LlamaConfig { VocabSize = 32000, HiddenSize = 64, IntermediateSize = 172, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 4, MaxPositionEmbeddings = 512, TieWordEmbeddings = true });
}
