using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Modeling.Configs;

/// <summary>
/// diffusers' <c>UNet2DConditionModel</c> config (<c>unet/config.json</c>): every key of diffusers 0.31, with its
/// defaults, read and written by <see cref="ConfigJson"/>. <see cref="Validate"/> rejects, naming the key, any value
/// this port does not build (e.g. class embeddings, dual cross-attention, Fourier time embeddings, norm_num_groups
/// null). Keys that only affect block types we do not build (resnet_skip_time_act, resnet_out_scale_factor,
/// cross_attention_norm, mid_block_only_cross_attention, ...) are accepted with any value, as diffusers ignores them
/// for these blocks too.
/// </summary>
public sealed partial record UNet2DConditionConfig : IValidatedConfig
{
    public const string ClassName = "UNet2DConditionModel";

    public static readonly IReadOnlyList<string> DownBlockTypeNames = ["CrossAttnDownBlock2D", "DownBlock2D"];
    public static readonly IReadOnlyList<string> UpBlockTypeNames = ["CrossAttnUpBlock2D", "UpBlock2D"];
    public static readonly IReadOnlyList<string> MidBlockTypeNames = ["UNetMidBlock2DCrossAttn", "UNetMidBlock2D"];

    [JsonPropertyName("_class_name")] public string ConfigClass { get; init; } = ClassName;
    [JsonPropertyName("_diffusers_version"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? DiffusersVersion { get; init; }
    [JsonPropertyName("sample_size")] public OneOrList<int>? SampleSize { get; init; }
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;
    [JsonPropertyName("out_channels")] public int OutChannels { get; init; } = 4;
    [JsonPropertyName("center_input_sample")] public bool CenterInputSample { get; init; }
    [JsonPropertyName("flip_sin_to_cos")] public bool FlipSinToCos { get; init; } = true;
    [JsonPropertyName("freq_shift")] public double FreqShift { get; init; }
    [JsonPropertyName("down_block_types")] public IReadOnlyList<string> DownBlockTypes { get; init; } = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"];
    /// <summary>null (written as such) means no mid block; a missing key means diffusers' default.</summary>
    [JsonPropertyName("mid_block_type")] public string? MidBlockType { get; init; } = "UNetMidBlock2DCrossAttn";
    [JsonPropertyName("up_block_types")] public IReadOnlyList<string> UpBlockTypes { get; init; } = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"];
    [JsonPropertyName("only_cross_attention")] public OneOrList<bool> OnlyCrossAttention { get; init; } = false;
    [JsonPropertyName("block_out_channels")] public IReadOnlyList<int> BlockOutChannels { get; init; } = [320, 640, 1280, 1280];
    [JsonPropertyName("layers_per_block")] public OneOrList<int> LayersPerBlock { get; init; } = 2;
    [JsonPropertyName("downsample_padding")] public int DownsamplePadding { get; init; } = 1;
    [JsonPropertyName("mid_block_scale_factor")] public double MidBlockScaleFactor { get; init; } = 1;
    [JsonPropertyName("dropout")] public double Dropout { get; init; }
    [JsonPropertyName("act_fn")] public string ActFn { get; init; } = "silu";
    [JsonPropertyName("norm_num_groups")] public int? NormNumGroups { get; init; } = 32;
    [JsonPropertyName("norm_eps")] public double NormEps { get; init; } = 1e-5;
    [JsonPropertyName("cross_attention_dim")] public OneOrList<int> CrossAttentionDim { get; init; } = 1280;
    /// <summary>An int, or per level an int or a per-layer list of ints.</summary>
    [JsonPropertyName("transformer_layers_per_block")] public OneOrList<OneOrList<int>> TransformerLayersPerBlock { get; init; } = new OneOrList<int>(1);
    [JsonPropertyName("reverse_transformer_layers_per_block")] public OneOrList<OneOrList<int>>? ReverseTransformerLayersPerBlock { get; init; }
    [JsonPropertyName("encoder_hid_dim")] public int? EncoderHidDim { get; init; }
    [JsonPropertyName("encoder_hid_dim_type")] public string? EncoderHidDimType { get; init; }
    [JsonPropertyName("attention_head_dim")] public OneOrList<int> AttentionHeadDim { get; init; } = 8;
    [JsonPropertyName("num_attention_heads")] public OneOrList<int>? NumAttentionHeads { get; init; }
    [JsonPropertyName("dual_cross_attention")] public bool DualCrossAttention { get; init; }
    [JsonPropertyName("use_linear_projection")] public bool UseLinearProjection { get; init; }
    [JsonPropertyName("class_embed_type")] public string? ClassEmbedType { get; init; }
    [JsonPropertyName("addition_embed_type")] public string? AdditionEmbedType { get; init; }
    [JsonPropertyName("addition_time_embed_dim")] public int? AdditionTimeEmbedDim { get; init; }
    [JsonPropertyName("num_class_embeds")] public int? NumClassEmbeds { get; init; }
    /// <summary>null (older diffusers wrote it) is false, as in diffusers.</summary>
    [JsonPropertyName("upcast_attention")] public bool UpcastAttention { get; init; }
    [JsonPropertyName("resnet_time_scale_shift")] public string ResnetTimeScaleShift { get; init; } = "default";
    [JsonPropertyName("resnet_skip_time_act")] public bool ResnetSkipTimeAct { get; init; }
    [JsonPropertyName("resnet_out_scale_factor")] public double ResnetOutScaleFactor { get; init; } = 1.0;
    [JsonPropertyName("time_embedding_type")] public string TimeEmbeddingType { get; init; } = "positional";
    [JsonPropertyName("time_embedding_dim")] public int? TimeEmbeddingDim { get; init; }
    [JsonPropertyName("time_embedding_act_fn")] public string? TimeEmbeddingActFn { get; init; }
    [JsonPropertyName("timestep_post_act")] public string? TimestepPostAct { get; init; }
    [JsonPropertyName("time_cond_proj_dim")] public int? TimeCondProjDim { get; init; }
    [JsonPropertyName("conv_in_kernel")] public int ConvInKernel { get; init; } = 3;
    [JsonPropertyName("conv_out_kernel")] public int ConvOutKernel { get; init; } = 3;
    [JsonPropertyName("projection_class_embeddings_input_dim")] public int? ProjectionClassEmbeddingsInputDim { get; init; }
    [JsonPropertyName("attention_type")] public string AttentionType { get; init; } = "default";
    [JsonPropertyName("class_embeddings_concat")] public bool ClassEmbeddingsConcat { get; init; }
    [JsonPropertyName("mid_block_only_cross_attention")] public bool? MidBlockOnlyCrossAttention { get; init; }
    [JsonPropertyName("cross_attention_norm")] public string? CrossAttentionNorm { get; init; }
    [JsonPropertyName("addition_embed_type_num_heads")] public int AdditionEmbedTypeNumHeads { get; init; } = 64;

    /// <summary>Keys diffusers 0.31's class does not take (EMA settings left by training scripts): diffusers ignores them, so do we; kept and written back.</summary>
    [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }

    public int Levels => BlockOutChannels.Count;

    private static ConfigException Unsupported(ConfigLocation at, string key, object? value, string why) =>
        at[key].Error($"{Show(value)} is not supported: {why}");

    private static string Show(object? v) => v switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        System.Collections.IEnumerable e => $"[{string.Join(", ", e.Cast<object>())}]",
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };

    /// <summary>Throws <see cref="ConfigException"/> naming the first key whose value this port cannot build.</summary>
    public void Validate(ConfigLocation at)
    {
        if (ConfigClass != ClassName) throw at["_class_name"].Error($"is \"{ConfigClass}\", expected \"{ClassName}\"");
        var n = Levels;
        if (n == 0) throw Unsupported(at, "block_out_channels", BlockOutChannels, "at least one level is needed");
        if (BlockOutChannels.Any(c => c <= 0)) throw Unsupported(at, "block_out_channels", BlockOutChannels, "channels must be positive");
        if (DownBlockTypes.Count != n) throw Unsupported(at, "down_block_types", DownBlockTypes, $"needs one entry per block_out_channels level ({n})");
        if (UpBlockTypes.Count != n) throw Unsupported(at, "up_block_types", UpBlockTypes, $"needs one entry per level ({n}), like down_block_types");
        foreach (var t in DownBlockTypes)
            if (!DownBlockTypeNames.Contains(Strip(t))) throw Unsupported(at, "down_block_types", t, $"supported: {string.Join(", ", DownBlockTypeNames)}");
        foreach (var t in UpBlockTypes)
            if (!UpBlockTypeNames.Contains(Strip(t))) throw Unsupported(at, "up_block_types", t, $"supported: {string.Join(", ", UpBlockTypeNames)}");
        if (MidBlockType is not null && !MidBlockTypeNames.Contains(MidBlockType))
            throw Unsupported(at, "mid_block_type", MidBlockType, $"supported: {string.Join(", ", MidBlockTypeNames)} or null");
        if (InChannels <= 0) throw Unsupported(at, "in_channels", InChannels, "must be positive");
        if (OutChannels <= 0) throw Unsupported(at, "out_channels", OutChannels, "must be positive");
        CheckLevels(at, "layers_per_block", LayersPerBlock, n, min: 1);
        CheckLevels(at, "cross_attention_dim", CrossAttentionDim, n, min: 1);
        CheckLevels(at, "attention_head_dim", AttentionHeadDim, n, min: 1);
        if (NumAttentionHeads is { } heads) CheckLevels(at, "num_attention_heads", heads, n, min: 1);
        if (OnlyCrossAttention.Items is { } oca && oca.Count != n)
            throw Unsupported(at, "only_cross_attention", OnlyCrossAttention, $"a list needs one entry per level ({n})");
        CheckTransformerLayers(at);
        if (NormNumGroups is not { } groups) throw Unsupported(at, "norm_num_groups", null, "the SD blocks need group normalisation");
        if (groups <= 0) throw Unsupported(at, "norm_num_groups", groups, "must be positive");
        foreach (var c in BlockOutChannels)
            if (c % groups != 0) throw Unsupported(at, "norm_num_groups", groups, $"block_out_channels entry {c} is not divisible by it");
        for (var i = 0; i < n; i++)
            if (BlockOutChannels[i] / Heads(i) < 1)
                throw Unsupported(at, NumAttentionHeads is null ? "attention_head_dim" : "num_attention_heads", Heads(i),
                    $"more heads than channels ({BlockOutChannels[i]}) at level {i}");
        if (!Layers.ActivationNames.Contains(ActFn)) throw Unsupported(at, "act_fn", ActFn, $"supported: {string.Join(", ", Layers.ActivationNames)}");
        if (TimeEmbeddingActFn is { } tea && !Layers.ActivationNames.Contains(tea)) throw Unsupported(at, "time_embedding_act_fn", tea, "unknown activation");
        if (TimestepPostAct is { } tpa && !Layers.ActivationNames.Contains(tpa)) throw Unsupported(at, "timestep_post_act", tpa, "unknown activation");
        if (TimeEmbeddingType != "positional") throw Unsupported(at, "time_embedding_type", TimeEmbeddingType, "only \"positional\" (sinusoidal) is built");
        if (TimeEmbeddingDim is <= 0) throw Unsupported(at, "time_embedding_dim", TimeEmbeddingDim, "must be positive");
        if (TimeCondProjDim is <= 0) throw Unsupported(at, "time_cond_proj_dim", TimeCondProjDim, "must be positive");
        if (ResnetTimeScaleShift is not ("default" or "scale_shift"))
            throw Unsupported(at, "resnet_time_scale_shift", ResnetTimeScaleShift, "supported: \"default\", \"scale_shift\"");
        if (EncoderHidDim is not null) throw Unsupported(at, "encoder_hid_dim", EncoderHidDim, "encoder hidden-state projections are not built; use null");
        if (EncoderHidDimType is not null) throw Unsupported(at, "encoder_hid_dim_type", EncoderHidDimType, "encoder hidden-state projections are not built; use null");
        if (ClassEmbedType is not null) throw Unsupported(at, "class_embed_type", ClassEmbedType, "class embeddings are not built; use null");
        if (NumClassEmbeds is not null) throw Unsupported(at, "num_class_embeds", NumClassEmbeds, "class embeddings are not built; use null");
        if (AdditionEmbedType is not null) throw Unsupported(at, "addition_embed_type", AdditionEmbedType, "additional embeddings (SDXL-style) are not built; use null");
        if (DualCrossAttention) throw Unsupported(at, "dual_cross_attention", true, "dual transformers are not built");
        if (AttentionType != "default") throw Unsupported(at, "attention_type", AttentionType, "only \"default\" attention is built (no GLIGEN fusers)");
        if (ConvInKernel <= 0 || ConvInKernel % 2 == 0) throw Unsupported(at, "conv_in_kernel", ConvInKernel, "must be an odd positive size");
        if (ConvOutKernel <= 0 || ConvOutKernel % 2 == 0) throw Unsupported(at, "conv_out_kernel", ConvOutKernel, "must be an odd positive size");
        if (DownsamplePadding < 0) throw Unsupported(at, "downsample_padding", DownsamplePadding, "must be 0 or more");
        if (Dropout is < 0 or >= 1) throw Unsupported(at, "dropout", Dropout, "must be in [0, 1)");
        if (MidBlockScaleFactor == 0) throw Unsupported(at, "mid_block_scale_factor", MidBlockScaleFactor, "must not be zero (outputs are divided by it)");
    }

    private static void CheckLevels(ConfigLocation at, string key, OneOrList<int> value, int n, int min)
    {
        if (value.Items is { } items && items.Count != n) throw Unsupported(at, key, items, $"a list needs one entry per level ({n})");
        for (var i = 0; i < n; i++)
            if (value.At(i) < min) throw Unsupported(at, key, value, $"entries must be at least {min}");
    }

    private void CheckTransformerLayers(ConfigLocation at)
    {
        var t = TransformerLayersPerBlock;
        if (t.Items is { } items)
        {
            if (items.Count != Levels) throw Unsupported(at, "transformer_layers_per_block", t, $"a list needs one entry per level ({Levels})");
            // diffusers: nested (per-layer) lists need the up path spelled out.
            if (items.Any(i => i.IsList) && ReverseTransformerLayersPerBlock is null)
                throw Unsupported(at, "transformer_layers_per_block", t, "per-layer lists need reverse_transformer_layers_per_block (diffusers' asymmetric U-Net rule)");
            for (var i = 0; i < Levels; i++)
                if (items[i].Items is { } per && per.Count != LayersPerBlock.At(i))
                    throw Unsupported(at, "transformer_layers_per_block", t, $"level {i} lists {per.Count} layers, layers_per_block is {LayersPerBlock.At(i)}");
        }
        if (ReverseTransformerLayersPerBlock is { } rev)
        {
            if (rev.Items is not { } ritems || ritems.Count != Levels)
                throw Unsupported(at, "reverse_transformer_layers_per_block", rev, $"must be a list with one entry per level ({Levels})");
            for (var i = 0; i < Levels; i++)
                if (ritems[i].Items is { } per && per.Count != LayersPerBlock.At(Levels - 1 - i) + 1)
                    throw Unsupported(at, "reverse_transformer_layers_per_block", rev, $"up level {i} lists {per.Count} layers, it has {LayersPerBlock.At(Levels - 1 - i) + 1}");
        }
        for (var i = 0; i < Levels; i++)
            if (PerLayer(t, i, LayersPerBlock.At(i)).Any(x => x < 1)) throw Unsupported(at, "transformer_layers_per_block", t, "entries must be at least 1");
    }

    // null (a JSON list may hold one) is no block type: "" fails the supported-types check naming the key.
    internal static string Strip(string? blockType) => blockType is null ? "" : blockType.StartsWith("UNetRes", StringComparison.Ordinal) ? blockType[7..] : blockType;
}
