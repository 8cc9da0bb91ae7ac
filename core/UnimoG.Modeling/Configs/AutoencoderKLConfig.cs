using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Configs;

/// <summary>
/// diffusers' <c>AutoencoderKL</c> config (<c>vae/config.json</c>), every key of diffusers 0.31, with its
/// defaults, read and written by <see cref="ConfigJson"/>. <see cref="ScalingFactor"/> and <see cref="ShiftFactor"/>
/// are not applied by the model: like a diffusers pipeline, callers map latents with <c>(z - shift) * scale</c> after
/// encoding and back before decoding.
/// </summary>
public sealed record AutoencoderKLConfig : IValidatedConfig
{
    public const string ClassName = "AutoencoderKL";

    [JsonPropertyName("_class_name")] public string ConfigClass { get; init; } = ClassName;
    [JsonPropertyName("_diffusers_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DiffusersVersion { get; init; }
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 3;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 3;
    [JsonPropertyName("down_block_types")] public IReadOnlyList<string> DownBlockTypes { get; init; } = ["DownEncoderBlock2D"];
    [JsonPropertyName("up_block_types")] public IReadOnlyList<string> UpBlockTypes { get; init; } = ["UpDecoderBlock2D"];
    [JsonPropertyName("block_out_channels")] public IReadOnlyList<int> BlockOutChannels { get; init; } = [64];
    [JsonPropertyName("layers_per_block")] public int LayersPerBlock { get; init; } = 1;
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("latent_channels")] public int LatentChannels { get; init; } = 4;
    [JsonPropertyName("norm_num_groups")] public int NormNumGroups { get; init; } = 32;
    [JsonPropertyName("sample_size")] public OneOrList<int> SampleSize { get; init; } = 32;
    [JsonPropertyName("scaling_factor")] public double ScalingFactor { get; init; } = 0.18215;
    [JsonPropertyName("shift_factor")] public double? ShiftFactor { get; init; }
    [JsonPropertyName("latents_mean")] public IReadOnlyList<double>? LatentsMean { get; init; }
    [JsonPropertyName("latents_std")] public IReadOnlyList<double>? LatentsStd { get; init; }
    [JsonPropertyName("force_upcast")] public bool ForceUpcast { get; init; } = true;
    [JsonPropertyName("use_quant_conv")] public bool UseQuantConv { get; init; } = true;
    [JsonPropertyName("use_post_quant_conv")] public bool UsePostQuantConv { get; init; } = true;
    [JsonPropertyName("mid_block_add_attention")] public bool MidBlockAddAttention { get; init; } = true;

    /// <summary>Keys diffusers 0.31's class does not take: ignored, as diffusers ignores them; kept and written back.</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    private static ConfigException Unsupported(ConfigLocation at, string key, string value, string why) => at[key].Error($"{value} is not supported: {why}");

    public void Validate(ConfigLocation at)
    {
        if (ConfigClass != ClassName) throw at["_class_name"].Error($"is \"{ConfigClass}\", expected \"{ClassName}\"");
        var n = BlockOutChannels.Count;
        var channels = $"[{string.Join(", ", BlockOutChannels)}]";
        if (n == 0 || BlockOutChannels.Any(c => c <= 0)) throw Unsupported(at, "block_out_channels", channels, "needs at least one positive entry");
        if (DownBlockTypes.Count != n) throw Unsupported(at, "down_block_types", $"[{string.Join(", ", DownBlockTypes)}]", $"needs one entry per level ({n})");
        if (UpBlockTypes.Count != n) throw Unsupported(at, "up_block_types", $"[{string.Join(", ", UpBlockTypes)}]", $"needs one entry per level ({n})");
        foreach (var t in DownBlockTypes)
            if (t != "DownEncoderBlock2D") throw Unsupported(at, "down_block_types", $"\"{t}\"", "only DownEncoderBlock2D is built");
        foreach (var t in UpBlockTypes)
            if (t != "UpDecoderBlock2D") throw Unsupported(at, "up_block_types", $"\"{t}\"", "only UpDecoderBlock2D is built");
        if (LayersPerBlock < 1) throw Unsupported(at, "layers_per_block", LayersPerBlock.ToString(), "must be at least 1");
        if (NormNumGroups <= 0) throw Unsupported(at, "norm_num_groups", NormNumGroups.ToString(), "must be positive");
        foreach (var c in BlockOutChannels)
            if (c % NormNumGroups != 0) throw Unsupported(at, "norm_num_groups", NormNumGroups.ToString(), $"block_out_channels entry {c} is not divisible by it");
        if (!Layers.ActivationNames.Contains(ActFn)) throw Unsupported(at, "act_fn", $"\"{ActFn}\"", $"supported: {string.Join(", ", Layers.ActivationNames)}");
        if (InChannels <= 0) throw Unsupported(at, "in_channels", InChannels.ToString(), "must be positive");
        if (OutChannels <= 0) throw Unsupported(at, "out_channels", OutChannels.ToString(), "must be positive");
        if (LatentChannels <= 0) throw Unsupported(at, "latent_channels", LatentChannels.ToString(), "must be positive");
        if (ScalingFactor == 0) throw Unsupported(at, "scaling_factor", "0", "latents would be multiplied by zero");
    }
}
