using System.Text.Json;

namespace UnimoG.Modeling.Configs;

/// <summary>
/// diffusers' <c>AutoencoderKL</c> config (<c>vae/config.json</c>), every key of diffusers 0.31, with its
/// defaults. <see cref="ScalingFactor"/> and <see cref="ShiftFactor"/> are not applied by the model: like a
/// diffusers pipeline, callers map latents with <c>(z - shift) * scale</c> after encoding and back before decoding.
/// </summary>
public sealed record AutoencoderKLConfig
{
    public const string ClassName = "AutoencoderKL";

    public static readonly IReadOnlyList<string> Keys =
    [
        "in_channels", "out_channels", "down_block_types", "up_block_types", "block_out_channels", "layers_per_block",
        "act_fn", "latent_channels", "norm_num_groups", "sample_size", "scaling_factor", "shift_factor", "latents_mean",
        "latents_std", "force_upcast", "use_quant_conv", "use_post_quant_conv", "mid_block_add_attention",
    ];

    public int InChannels { get; init; } = 3;
    public int OutChannels { get; init; } = 3;
    public IReadOnlyList<string> DownBlockTypes { get; init; } = ["DownEncoderBlock2D"];
    public IReadOnlyList<string> UpBlockTypes { get; init; } = ["UpDecoderBlock2D"];
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [64];
    public int LayersPerBlock { get; init; } = 1;
    public string ActFn { get; init; } = "silu";
    public int LatentChannels { get; init; } = 4;
    public int NormNumGroups { get; init; } = 32;
    public IntOrList? SampleSize { get; init; } = 32;
    public double ScalingFactor { get; init; } = 0.18215;
    public double? ShiftFactor { get; init; }
    public IReadOnlyList<double>? LatentsMean { get; init; }
    public IReadOnlyList<double>? LatentsStd { get; init; }
    public bool ForceUpcast { get; init; } = true;
    public bool UseQuantConv { get; init; } = true;
    public bool UsePostQuantConv { get; init; } = true;
    public bool MidBlockAddAttention { get; init; } = true;

    public IReadOnlyList<string> IgnoredKeys { get; init; } = [];
    public string Source { get; init; } = "vae config";

    public static AutoencoderKLConfig FromFile(string path)
    {
        using var doc = ConfigReader.ParseFile(path);
        return Parse(doc.RootElement, path);
    }

    public static AutoencoderKLConfig FromJson(string json, string source)
    {
        using var doc = JsonDocument.Parse(json);
        return Parse(doc.RootElement, source);
    }

    public static AutoencoderKLConfig Parse(JsonElement root, string source)
    {
        var r = new ConfigReader(root, source, Keys);
        if (r.Metadata("_class_name") is { } cls && cls != ClassName)
            throw r.Error("_class_name", $"is '{cls}', expected '{ClassName}'");
        var d = new AutoencoderKLConfig();
        var config = new AutoencoderKLConfig
        {
            Source = source,
            IgnoredKeys = r.UnknownKeys,
            InChannels = r.Int("in_channels", d.InChannels),
            OutChannels = r.Int("out_channels", d.OutChannels),
            DownBlockTypes = r.Strings("down_block_types", d.DownBlockTypes),
            UpBlockTypes = r.Strings("up_block_types", d.UpBlockTypes),
            BlockOutChannels = r.Ints("block_out_channels", d.BlockOutChannels),
            LayersPerBlock = r.Int("layers_per_block", d.LayersPerBlock),
            ActFn = r.String("act_fn", d.ActFn)!,
            LatentChannels = r.Int("latent_channels", d.LatentChannels),
            NormNumGroups = r.Int("norm_num_groups", d.NormNumGroups),
            SampleSize = r.NullableIntOrList("sample_size") ?? d.SampleSize,
            ScalingFactor = r.Double("scaling_factor", d.ScalingFactor),
            ShiftFactor = r.NullableDouble("shift_factor"),
            LatentsMean = r.NullableDoubles("latents_mean"),
            LatentsStd = r.NullableDoubles("latents_std"),
            ForceUpcast = r.Bool("force_upcast", d.ForceUpcast),
            UseQuantConv = r.Bool("use_quant_conv", d.UseQuantConv),
            UsePostQuantConv = r.Bool("use_post_quant_conv", d.UsePostQuantConv),
            MidBlockAddAttention = r.Bool("mid_block_add_attention", d.MidBlockAddAttention),
        };
        config.Validate();
        return config;
    }

    /// <summary>The effective configuration as diffusers' <c>config.json</c> (every key, defaults filled in).</summary>
    public string ToJson() => ConfigWriter.ToJson(ClassName,
    [
        ("in_channels", InChannels), ("out_channels", OutChannels), ("down_block_types", DownBlockTypes),
        ("up_block_types", UpBlockTypes), ("block_out_channels", BlockOutChannels), ("layers_per_block", LayersPerBlock),
        ("act_fn", ActFn), ("latent_channels", LatentChannels), ("norm_num_groups", NormNumGroups), ("sample_size", SampleSize),
        ("scaling_factor", ScalingFactor), ("shift_factor", ShiftFactor), ("latents_mean", LatentsMean), ("latents_std", LatentsStd),
        ("force_upcast", ForceUpcast), ("use_quant_conv", UseQuantConv), ("use_post_quant_conv", UsePostQuantConv),
        ("mid_block_add_attention", MidBlockAddAttention),
    ]);

    private ConfigException Unsupported(string key, string value, string why) => new(Source, key, $"= {value} is not supported: {why}");

    public void Validate()
    {
        var n = BlockOutChannels.Count;
        var channels = $"[{string.Join(", ", BlockOutChannels)}]";
        if (n == 0 || BlockOutChannels.Any(c => c <= 0)) throw Unsupported("block_out_channels", channels, "needs at least one positive entry");
        if (DownBlockTypes.Count != n) throw Unsupported("down_block_types", $"[{string.Join(", ", DownBlockTypes)}]", $"needs one entry per level ({n})");
        if (UpBlockTypes.Count != n) throw Unsupported("up_block_types", $"[{string.Join(", ", UpBlockTypes)}]", $"needs one entry per level ({n})");
        foreach (var t in DownBlockTypes)
            if (t != "DownEncoderBlock2D") throw Unsupported("down_block_types", $"\"{t}\"", "only DownEncoderBlock2D is built");
        foreach (var t in UpBlockTypes)
            if (t != "UpDecoderBlock2D") throw Unsupported("up_block_types", $"\"{t}\"", "only UpDecoderBlock2D is built");
        if (LayersPerBlock < 1) throw Unsupported("layers_per_block", LayersPerBlock.ToString(), "must be at least 1");
        if (NormNumGroups <= 0) throw Unsupported("norm_num_groups", NormNumGroups.ToString(), "must be positive");
        foreach (var c in BlockOutChannels)
            if (c % NormNumGroups != 0) throw Unsupported("norm_num_groups", NormNumGroups.ToString(), $"block_out_channels entry {c} is not divisible by it");
        if (!Diffusion.Layers.ActivationNames.Contains(ActFn)) throw Unsupported("act_fn", $"\"{ActFn}\"", $"supported: {string.Join(", ", Diffusion.Layers.ActivationNames)}");
        if (InChannels <= 0) throw Unsupported("in_channels", InChannels.ToString(), "must be positive");
        if (OutChannels <= 0) throw Unsupported("out_channels", OutChannels.ToString(), "must be positive");
        if (LatentChannels <= 0) throw Unsupported("latent_channels", LatentChannels.ToString(), "must be positive");
        if (ScalingFactor == 0) throw Unsupported("scaling_factor", "0", "latents would be multiplied by zero");
    }
}
