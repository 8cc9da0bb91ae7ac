using UnimoG.Modeling.Schedulers;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Configs;

/// <summary>
/// The U-Net and VAE configurations we know by name, as the <c>config.json</c> text diffusers reads.
/// </summary>
public static class DiffusionConfigs
{
    /// <summary>Stable Diffusion 1.5's <c>unet/config.json</c> (runwayml/stable-diffusion-v1-5), verbatim.</summary>
    public const string Sd15UNetJson = """
        {
          "_class_name": "UNet2DConditionModel",
          "_diffusers_version": "0.17.0.dev0",
          "act_fn": "silu",
          "addition_embed_type": null,
          "addition_embed_type_num_heads": 64,
          "attention_head_dim": 8,
          "block_out_channels": [320, 640, 1280, 1280],
          "center_input_sample": false,
          "class_embed_type": null,
          "class_embeddings_concat": false,
          "conv_in_kernel": 3,
          "conv_out_kernel": 3,
          "cross_attention_dim": 768,
          "cross_attention_norm": null,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "downsample_padding": 1,
          "dual_cross_attention": false,
          "encoder_hid_dim": null,
          "flip_sin_to_cos": true,
          "freq_shift": 0,
          "in_channels": 4,
          "layers_per_block": 2,
          "mid_block_only_cross_attention": null,
          "mid_block_scale_factor": 1,
          "mid_block_type": "UNetMidBlock2DCrossAttn",
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "num_class_embeds": null,
          "only_cross_attention": false,
          "out_channels": 4,
          "projection_class_embeddings_input_dim": null,
          "resnet_out_scale_factor": 1.0,
          "resnet_skip_time_act": false,
          "resnet_time_scale_shift": "default",
          "sample_size": 64,
          "time_cond_proj_dim": null,
          "time_embedding_act_fn": null,
          "time_embedding_dim": null,
          "time_embedding_type": "positional",
          "timestep_post_act": null,
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
          "upcast_attention": null,
          "use_linear_projection": false
        }
        """;

    /// <summary>Stable Diffusion 1.5's <c>vae/config.json</c>, verbatim.</summary>
    public const string Sd15VaeJson = """
        {
          "_class_name": "AutoencoderKL",
          "_diffusers_version": "0.6.0",
          "act_fn": "silu",
          "block_out_channels": [128, 256, 512, 512],
          "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
          "in_channels": 3,
          "latent_channels": 4,
          "layers_per_block": 2,
          "norm_num_groups": 32,
          "out_channels": 3,
          "sample_size": 512,
          "scaling_factor": 0.18215,
          "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
        }
        """;

    /// <summary>
    /// The UNIMO-G paper's U-Net: SD's block layout (three CrossAttn levels and a plain one, two resnets per
    /// level) at channels 640/1280/2560/2560, 16 heads, cross-attending to the 4096-wide MLLM states.
    /// (diffusers spells "16 heads" attention_head_dim 16 with num_attention_heads null.)
    /// </summary>
    public const string PaperUNetJson = """
        {
          "_class_name": "UNet2DConditionModel",
          "act_fn": "silu",
          "attention_head_dim": 16,
          "block_out_channels": [640, 1280, 2560, 2560],
          "cross_attention_dim": 4096,
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
          "in_channels": 4,
          "layers_per_block": 2,
          "norm_eps": 1e-05,
          "norm_num_groups": 32,
          "out_channels": 4,
          "sample_size": 64,
          "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
        }
        """;

    /// <summary>Stable Diffusion 1.x's DDIM settings.</summary>
    public const string Sd15SchedulerJson = """
        {
          "_class_name": "DDIMScheduler",
          "num_train_timesteps": 1000,
          "beta_start": 0.00085,
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "clip_sample": false,
          "set_alpha_to_one": false,
          "steps_offset": 1,
          "prediction_type": "epsilon",
          "timestep_spacing": "leading"
        }
        """;

    public static UNet2DConditionConfig Sd15UNet => ConfigJson.Parse<UNet2DConditionConfig>(Sd15UNetJson, "sd15 unet config");
    public static AutoencoderKLConfig Sd15Vae => ConfigJson.Parse<AutoencoderKLConfig>(Sd15VaeJson, "sd15 vae config");
    public static DdimSchedulerConfig Sd15Scheduler => ConfigJson.Parse<DdimSchedulerConfig>(Sd15SchedulerJson, "sd15 scheduler config");
    public static UNet2DConditionConfig PaperUNet => ConfigJson.Parse<UNet2DConditionConfig>(PaperUNetJson, "paper unet config");
}
