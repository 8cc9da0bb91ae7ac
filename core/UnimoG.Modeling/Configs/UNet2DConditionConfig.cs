using System.Text.Json;

namespace UnimoG.Modeling.Configs;

/// <summary>
/// diffusers' <c>UNet2DConditionModel</c> config (<c>unet/config.json</c>), every key of diffusers 0.31.
/// Properties mirror the JSON keys (<c>block_out_channels</c> -> <see cref="BlockOutChannels"/>) with
/// diffusers' defaults. <see cref="Validate"/> rejects, naming the key, any value this port does not build
/// (e.g. class embeddings, dual cross-attention, Fourier time embeddings, norm_num_groups null).
/// Keys that only affect block types we do not build (resnet_skip_time_act, resnet_out_scale_factor,
/// cross_attention_norm, mid_block_only_cross_attention, ...) are accepted with any value, as diffusers
/// ignores them for these blocks too.
/// </summary>
public sealed partial record UNet2DConditionConfig
{
    public const string ClassName = "UNet2DConditionModel";

    public static readonly IReadOnlyList<string> DownBlockTypeNames = ["CrossAttnDownBlock2D", "DownBlock2D"];
    public static readonly IReadOnlyList<string> UpBlockTypeNames = ["CrossAttnUpBlock2D", "UpBlock2D"];
    public static readonly IReadOnlyList<string> MidBlockTypeNames = ["UNetMidBlock2DCrossAttn", "UNetMidBlock2D"];

    /// <summary>Every key of diffusers 0.31.0's <c>UNet2DConditionModel.__init__</c>.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "sample_size", "in_channels", "out_channels", "center_input_sample", "flip_sin_to_cos", "freq_shift",
        "down_block_types", "mid_block_type", "up_block_types", "only_cross_attention", "block_out_channels",
        "layers_per_block", "downsample_padding", "mid_block_scale_factor", "dropout", "act_fn", "norm_num_groups",
        "norm_eps", "cross_attention_dim", "transformer_layers_per_block", "reverse_transformer_layers_per_block",
        "encoder_hid_dim", "encoder_hid_dim_type", "attention_head_dim", "num_attention_heads",
        "dual_cross_attention", "use_linear_projection", "class_embed_type", "addition_embed_type",
        "addition_time_embed_dim", "num_class_embeds", "upcast_attention", "resnet_time_scale_shift",
        "resnet_skip_time_act", "resnet_out_scale_factor", "time_embedding_type", "time_embedding_dim",
        "time_embedding_act_fn", "timestep_post_act", "time_cond_proj_dim", "conv_in_kernel", "conv_out_kernel",
        "projection_class_embeddings_input_dim", "attention_type", "class_embeddings_concat",
        "mid_block_only_cross_attention", "cross_attention_norm", "addition_embed_type_num_heads",
    ];

    public IntOrList? SampleSize { get; init; }
    public int InChannels { get; init; } = 4;
    public int OutChannels { get; init; } = 4;
    public bool CenterInputSample { get; init; }
    public bool FlipSinToCos { get; init; } = true;
    public double FreqShift { get; init; }
    public IReadOnlyList<string> DownBlockTypes { get; init; } = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"];
    public string? MidBlockType { get; init; } = "UNetMidBlock2DCrossAttn";
    public IReadOnlyList<string> UpBlockTypes { get; init; } = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"];
    public bool OnlyCrossAttention { get; init; }
    /// <summary><c>only_cross_attention</c> given as a per-level list (overrides <see cref="OnlyCrossAttention"/>).</summary>
    public IReadOnlyList<bool>? OnlyCrossAttentionPerLevel { get; init; }
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [320, 640, 1280, 1280];
    public IntOrList LayersPerBlock { get; init; } = 2;
    public int DownsamplePadding { get; init; } = 1;
    public double MidBlockScaleFactor { get; init; } = 1;
    public double Dropout { get; init; }
    public string ActFn { get; init; } = "silu";
    public int? NormNumGroups { get; init; } = 32;
    public double NormEps { get; init; } = 1e-5;
    public IntOrList CrossAttentionDim { get; init; } = 1280;
    public LayerCounts TransformerLayersPerBlock { get; init; } = 1;
    public LayerCounts? ReverseTransformerLayersPerBlock { get; init; }
    public int? EncoderHidDim { get; init; }
    public string? EncoderHidDimType { get; init; }
    public IntOrList AttentionHeadDim { get; init; } = 8;
    public IntOrList? NumAttentionHeads { get; init; }
    public bool DualCrossAttention { get; init; }
    public bool UseLinearProjection { get; init; }
    public string? ClassEmbedType { get; init; }
    public string? AdditionEmbedType { get; init; }
    public int? AdditionTimeEmbedDim { get; init; }
    public int? NumClassEmbeds { get; init; }
    public bool UpcastAttention { get; init; }
    public string ResnetTimeScaleShift { get; init; } = "default";
    public bool ResnetSkipTimeAct { get; init; }
    public double ResnetOutScaleFactor { get; init; } = 1.0;
    public string TimeEmbeddingType { get; init; } = "positional";
    public int? TimeEmbeddingDim { get; init; }
    public string? TimeEmbeddingActFn { get; init; }
    public string? TimestepPostAct { get; init; }
    public int? TimeCondProjDim { get; init; }
    public int ConvInKernel { get; init; } = 3;
    public int ConvOutKernel { get; init; } = 3;
    public int? ProjectionClassEmbeddingsInputDim { get; init; }
    public string AttentionType { get; init; } = "default";
    public bool ClassEmbeddingsConcat { get; init; }
    public bool? MidBlockOnlyCrossAttention { get; init; }
    public string? CrossAttentionNorm { get; init; }
    public int AdditionEmbedTypeNumHeads { get; init; } = 64;

    /// <summary>Keys in the file that diffusers 0.31 does not know (diffusers ignores them; so do we).</summary>
    public IReadOnlyList<string> IgnoredKeys { get; init; } = [];

    /// <summary>Where the config came from, for error messages.</summary>
    public string Source { get; init; } = "unet config";

    public int Levels => BlockOutChannels.Count;

    public static UNet2DConditionConfig FromFile(string path)
    {
        using var doc = ConfigReader.ParseFile(path);
        return Parse(doc.RootElement, path);
    }

    public static UNet2DConditionConfig FromJson(string json, string source)
    {
        using var doc = JsonDocument.Parse(json);
        return Parse(doc.RootElement, source);
    }

    public static UNet2DConditionConfig Parse(JsonElement root, string source)
    {
        var r = new ConfigReader(root, source, Keys);
        if (r.Metadata("_class_name") is { } cls && cls != ClassName)
            throw r.Error("_class_name", $"is '{cls}', expected '{ClassName}'");
        var d = new UNet2DConditionConfig();
        var onlyCrossList = r.BoolOrList("only_cross_attention", out var onlyCross);
        var config = new UNet2DConditionConfig
        {
            Source = source,
            IgnoredKeys = r.UnknownKeys,
            SampleSize = r.NullableIntOrList("sample_size"),
            InChannels = r.Int("in_channels", d.InChannels),
            OutChannels = r.Int("out_channels", d.OutChannels),
            CenterInputSample = r.Bool("center_input_sample", d.CenterInputSample),
            FlipSinToCos = r.Bool("flip_sin_to_cos", d.FlipSinToCos),
            FreqShift = r.Double("freq_shift", d.FreqShift),
            DownBlockTypes = r.Strings("down_block_types", d.DownBlockTypes),
            // An explicit null means "no mid block"; a missing key means the default.
            MidBlockType = root.TryGetProperty("mid_block_type", out _) ? r.String("mid_block_type", null) : d.MidBlockType,
            UpBlockTypes = r.Strings("up_block_types", d.UpBlockTypes),
            OnlyCrossAttention = onlyCross,
            OnlyCrossAttentionPerLevel = onlyCrossList,
            BlockOutChannels = r.Ints("block_out_channels", d.BlockOutChannels),
            LayersPerBlock = r.IntOrList("layers_per_block", d.LayersPerBlock),
            DownsamplePadding = r.Int("downsample_padding", d.DownsamplePadding),
            MidBlockScaleFactor = r.Double("mid_block_scale_factor", d.MidBlockScaleFactor),
            Dropout = r.Double("dropout", d.Dropout),
            ActFn = r.String("act_fn", d.ActFn)!,
            NormNumGroups = root.TryGetProperty("norm_num_groups", out _) ? r.NullableInt("norm_num_groups") : d.NormNumGroups,
            NormEps = r.Double("norm_eps", d.NormEps),
            CrossAttentionDim = r.IntOrList("cross_attention_dim", d.CrossAttentionDim),
            TransformerLayersPerBlock = r.NullableLayerCounts("transformer_layers_per_block") ?? d.TransformerLayersPerBlock,
            ReverseTransformerLayersPerBlock = r.NullableLayerCounts("reverse_transformer_layers_per_block"),
            EncoderHidDim = r.NullableInt("encoder_hid_dim"),
            EncoderHidDimType = r.String("encoder_hid_dim_type", null),
            AttentionHeadDim = r.IntOrList("attention_head_dim", d.AttentionHeadDim),
            NumAttentionHeads = r.NullableIntOrList("num_attention_heads"),
            DualCrossAttention = r.Bool("dual_cross_attention", false),
            UseLinearProjection = r.Bool("use_linear_projection", false),
            ClassEmbedType = r.String("class_embed_type", null),
            AdditionEmbedType = r.String("addition_embed_type", null),
            AdditionTimeEmbedDim = r.NullableInt("addition_time_embed_dim"),
            NumClassEmbeds = r.NullableInt("num_class_embeds"),
            UpcastAttention = r.Bool("upcast_attention", false),
            ResnetTimeScaleShift = r.String("resnet_time_scale_shift", d.ResnetTimeScaleShift)!,
            ResnetSkipTimeAct = r.Bool("resnet_skip_time_act", false),
            ResnetOutScaleFactor = r.Double("resnet_out_scale_factor", d.ResnetOutScaleFactor),
            TimeEmbeddingType = r.String("time_embedding_type", d.TimeEmbeddingType)!,
            TimeEmbeddingDim = r.NullableInt("time_embedding_dim"),
            TimeEmbeddingActFn = r.String("time_embedding_act_fn", null),
            TimestepPostAct = r.String("timestep_post_act", null),
            TimeCondProjDim = r.NullableInt("time_cond_proj_dim"),
            ConvInKernel = r.Int("conv_in_kernel", d.ConvInKernel),
            ConvOutKernel = r.Int("conv_out_kernel", d.ConvOutKernel),
            ProjectionClassEmbeddingsInputDim = r.NullableInt("projection_class_embeddings_input_dim"),
            AttentionType = r.String("attention_type", d.AttentionType)!,
            ClassEmbeddingsConcat = r.Bool("class_embeddings_concat", false),
            MidBlockOnlyCrossAttention = r.Raw("mid_block_only_cross_attention") is null ? null : r.Bool("mid_block_only_cross_attention", false),
            CrossAttentionNorm = r.String("cross_attention_norm", null),
            AdditionEmbedTypeNumHeads = r.Int("addition_embed_type_num_heads", d.AdditionEmbedTypeNumHeads),
        };
        config.Validate();
        return config;
    }

    /// <summary>The effective configuration as diffusers' <c>config.json</c> (every key, defaults filled in).</summary>
    public string ToJson() => ConfigWriter.ToJson(ClassName,
    [
        ("sample_size", SampleSize), ("in_channels", InChannels), ("out_channels", OutChannels),
        ("center_input_sample", CenterInputSample), ("flip_sin_to_cos", FlipSinToCos), ("freq_shift", FreqShift),
        ("down_block_types", DownBlockTypes), ("mid_block_type", MidBlockType), ("up_block_types", UpBlockTypes),
        ("only_cross_attention", (object?)OnlyCrossAttentionPerLevel ?? OnlyCrossAttention), ("block_out_channels", BlockOutChannels),
        ("layers_per_block", LayersPerBlock), ("downsample_padding", DownsamplePadding), ("mid_block_scale_factor", MidBlockScaleFactor),
        ("dropout", Dropout), ("act_fn", ActFn), ("norm_num_groups", NormNumGroups), ("norm_eps", NormEps),
        ("cross_attention_dim", CrossAttentionDim), ("transformer_layers_per_block", TransformerLayersPerBlock),
        ("reverse_transformer_layers_per_block", ReverseTransformerLayersPerBlock), ("encoder_hid_dim", EncoderHidDim),
        ("encoder_hid_dim_type", EncoderHidDimType), ("attention_head_dim", AttentionHeadDim), ("num_attention_heads", NumAttentionHeads),
        ("dual_cross_attention", DualCrossAttention), ("use_linear_projection", UseLinearProjection), ("class_embed_type", ClassEmbedType),
        ("addition_embed_type", AdditionEmbedType), ("addition_time_embed_dim", AdditionTimeEmbedDim), ("num_class_embeds", NumClassEmbeds),
        ("upcast_attention", UpcastAttention), ("resnet_time_scale_shift", ResnetTimeScaleShift), ("resnet_skip_time_act", ResnetSkipTimeAct),
        ("resnet_out_scale_factor", ResnetOutScaleFactor), ("time_embedding_type", TimeEmbeddingType), ("time_embedding_dim", TimeEmbeddingDim),
        ("time_embedding_act_fn", TimeEmbeddingActFn), ("timestep_post_act", TimestepPostAct), ("time_cond_proj_dim", TimeCondProjDim),
        ("conv_in_kernel", ConvInKernel), ("conv_out_kernel", ConvOutKernel),
        ("projection_class_embeddings_input_dim", ProjectionClassEmbeddingsInputDim), ("attention_type", AttentionType),
        ("class_embeddings_concat", ClassEmbeddingsConcat), ("mid_block_only_cross_attention", MidBlockOnlyCrossAttention),
        ("cross_attention_norm", CrossAttentionNorm), ("addition_embed_type_num_heads", AdditionEmbedTypeNumHeads),
    ]);

    private ConfigException Unsupported(string key, object? value, string why) =>
        new(Source, key, $"= {Show(value)} is not supported: {why}");

    private static string Show(object? v) => v switch
    {
        null => "null",
        string s => $"\"{s}\"",
        bool b => b ? "true" : "false",
        System.Collections.IEnumerable e => $"[{string.Join(", ", e.Cast<object>())}]",
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "?",
    };

    /// <summary>Throws <see cref="ConfigException"/> naming the first key whose value this port cannot build.</summary>
    public void Validate()
    {
        var n = Levels;
        if (n == 0) throw Unsupported("block_out_channels", BlockOutChannels, "at least one level is needed");
        if (BlockOutChannels.Any(c => c <= 0)) throw Unsupported("block_out_channels", BlockOutChannels, "channels must be positive");
        if (DownBlockTypes.Count != n) throw Unsupported("down_block_types", DownBlockTypes, $"needs one entry per block_out_channels level ({n})");
        if (UpBlockTypes.Count != n) throw Unsupported("up_block_types", UpBlockTypes, $"needs one entry per level ({n}), like down_block_types");
        foreach (var t in DownBlockTypes)
            if (!DownBlockTypeNames.Contains(Strip(t))) throw Unsupported("down_block_types", t, $"supported: {string.Join(", ", DownBlockTypeNames)}");
        foreach (var t in UpBlockTypes)
            if (!UpBlockTypeNames.Contains(Strip(t))) throw Unsupported("up_block_types", t, $"supported: {string.Join(", ", UpBlockTypeNames)}");
        if (MidBlockType is not null && !MidBlockTypeNames.Contains(MidBlockType))
            throw Unsupported("mid_block_type", MidBlockType, $"supported: {string.Join(", ", MidBlockTypeNames)} or null");
        if (InChannels <= 0) throw Unsupported("in_channels", InChannels, "must be positive");
        if (OutChannels <= 0) throw Unsupported("out_channels", OutChannels, "must be positive");
        CheckLevels("layers_per_block", LayersPerBlock, n, min: 1);
        CheckLevels("cross_attention_dim", CrossAttentionDim, n, min: 1);
        CheckLevels("attention_head_dim", AttentionHeadDim, n, min: 1);
        if (NumAttentionHeads is { } heads) CheckLevels("num_attention_heads", heads, n, min: 1);
        if (OnlyCrossAttentionPerLevel is { } oca && oca.Count != n)
            throw Unsupported("only_cross_attention", oca, $"a list needs one entry per level ({n})");
        CheckTransformerLayers();
        if (NormNumGroups is not { } groups) throw Unsupported("norm_num_groups", null, "the SD blocks need group normalisation");
        if (groups <= 0) throw Unsupported("norm_num_groups", groups, "must be positive");
        foreach (var c in BlockOutChannels)
            if (c % groups != 0) throw Unsupported("norm_num_groups", groups, $"block_out_channels entry {c} is not divisible by it");
        for (var i = 0; i < n; i++)
            if (BlockOutChannels[i] / Heads(i) < 1)
                throw Unsupported(NumAttentionHeads is null ? "attention_head_dim" : "num_attention_heads", Heads(i),
                    $"more heads than channels ({BlockOutChannels[i]}) at level {i}");
        if (!Diffusion.Layers.ActivationNames.Contains(ActFn)) throw Unsupported("act_fn", ActFn, $"supported: {string.Join(", ", Diffusion.Layers.ActivationNames)}");
        if (TimeEmbeddingActFn is { } tea && !Diffusion.Layers.ActivationNames.Contains(tea)) throw Unsupported("time_embedding_act_fn", tea, "unknown activation");
        if (TimestepPostAct is { } tpa && !Diffusion.Layers.ActivationNames.Contains(tpa)) throw Unsupported("timestep_post_act", tpa, "unknown activation");
        if (TimeEmbeddingType != "positional") throw Unsupported("time_embedding_type", TimeEmbeddingType, "only \"positional\" (sinusoidal) is built");
        if (TimeEmbeddingDim is <= 0) throw Unsupported("time_embedding_dim", TimeEmbeddingDim, "must be positive");
        if (TimeCondProjDim is <= 0) throw Unsupported("time_cond_proj_dim", TimeCondProjDim, "must be positive");
        if (ResnetTimeScaleShift is not ("default" or "scale_shift"))
            throw Unsupported("resnet_time_scale_shift", ResnetTimeScaleShift, "supported: \"default\", \"scale_shift\"");
        if (EncoderHidDim is not null) throw Unsupported("encoder_hid_dim", EncoderHidDim, "encoder hidden-state projections are not built; use null");
        if (EncoderHidDimType is not null) throw Unsupported("encoder_hid_dim_type", EncoderHidDimType, "encoder hidden-state projections are not built; use null");
        if (ClassEmbedType is not null) throw Unsupported("class_embed_type", ClassEmbedType, "class embeddings are not built; use null");
        if (NumClassEmbeds is not null) throw Unsupported("num_class_embeds", NumClassEmbeds, "class embeddings are not built; use null");
        if (AdditionEmbedType is not null) throw Unsupported("addition_embed_type", AdditionEmbedType, "additional embeddings (SDXL-style) are not built; use null");
        if (DualCrossAttention) throw Unsupported("dual_cross_attention", true, "dual transformers are not built");
        if (AttentionType != "default") throw Unsupported("attention_type", AttentionType, "only \"default\" attention is built (no GLIGEN fusers)");
        if (ConvInKernel <= 0 || ConvInKernel % 2 == 0) throw Unsupported("conv_in_kernel", ConvInKernel, "must be an odd positive size");
        if (ConvOutKernel <= 0 || ConvOutKernel % 2 == 0) throw Unsupported("conv_out_kernel", ConvOutKernel, "must be an odd positive size");
        if (DownsamplePadding < 0) throw Unsupported("downsample_padding", DownsamplePadding, "must be 0 or more");
        if (Dropout is < 0 or >= 1) throw Unsupported("dropout", Dropout, "must be in [0, 1)");
        if (MidBlockScaleFactor == 0) throw Unsupported("mid_block_scale_factor", MidBlockScaleFactor, "must not be zero (outputs are divided by it)");
    }

    private void CheckLevels(string key, IntOrList value, int n, int min)
    {
        if (value.Items is { } items && items.Count != n) throw Unsupported(key, items, $"a list needs one entry per level ({n})");
        for (var i = 0; i < n; i++)
            if (value.At(i) < min) throw Unsupported(key, value, $"entries must be at least {min}");
    }

    private void CheckTransformerLayers()
    {
        var t = TransformerLayersPerBlock;
        if (t.Items is { } items)
        {
            if (items.Count != Levels) throw Unsupported("transformer_layers_per_block", t, $"a list needs one entry per level ({Levels})");
            // diffusers: nested (per-layer) lists need the up path spelled out.
            if (items.Any(i => i.Items is not null) && ReverseTransformerLayersPerBlock is null)
                throw Unsupported("transformer_layers_per_block", t, "per-layer lists need reverse_transformer_layers_per_block (diffusers' asymmetric U-Net rule)");
            for (var i = 0; i < Levels; i++)
                if (items[i].Items is { } per && per.Count != LayersPerBlock.At(i))
                    throw Unsupported("transformer_layers_per_block", t, $"level {i} lists {per.Count} layers, layers_per_block is {LayersPerBlock.At(i)}");
        }
        if (ReverseTransformerLayersPerBlock is { } rev)
        {
            if (rev.Items is not { } ritems || ritems.Count != Levels)
                throw Unsupported("reverse_transformer_layers_per_block", rev, $"must be a list with one entry per level ({Levels})");
            for (var i = 0; i < Levels; i++)
                if (ritems[i].Items is { } per && per.Count != LayersPerBlock.At(Levels - 1 - i) + 1)
                    throw Unsupported("reverse_transformer_layers_per_block", rev, $"up level {i} lists {per.Count} layers, it has {LayersPerBlock.At(Levels - 1 - i) + 1}");
        }
        for (var i = 0; i < Levels; i++)
            if (t.PerLayer(i, LayersPerBlock.At(i)).Any(x => x < 1)) throw Unsupported("transformer_layers_per_block", t, "entries must be at least 1");
    }

    internal static string Strip(string blockType) => blockType.StartsWith("UNetRes", StringComparison.Ordinal) ? blockType[7..] : blockType;
}
