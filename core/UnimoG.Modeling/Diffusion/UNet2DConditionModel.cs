using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Configs;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>
/// diffusers' <c>UNet2DConditionModel</c> for the SD 1.x/2.x block layout: the noisy latent and timestep in,
/// cross-attention to the condition sequence at every CrossAttn block, the predicted noise (or v / x0)
/// out. Submodule names are diffusers' parameter names, so diffusers checkpoints load with
/// <see cref="StrictLoader.LoadStrict"/>.
/// </summary>
public sealed class UNet2DConditionModel : nn.Module
{
    public readonly Conv2d conv_in;
    public readonly TimestepEmbedding time_embedding;
    public readonly ModuleList<UNetDownBlock> down_blocks;
    public readonly UNetMidBlock? mid_block;
    public readonly ModuleList<UNetUpBlock> up_blocks;
    public readonly GroupNorm conv_norm_out;
    public readonly Conv2d conv_out;

    private readonly Func<Tensor, Tensor> _act;
    private readonly Func<Tensor, Tensor>? _timeEmbedAct;
    private readonly Dictionary<string, Attention> _crossAttention;

    public UNet2DConditionConfig Config { get; }

    /// <summary>The attention layers that attend to the encoder states, by name (see <see cref="CaptureCrossAttention(IEnumerable{string}, bool)"/>).</summary>
    public IReadOnlyList<string> CrossAttentionLayers { get; }

    public UNet2DConditionModel(UNet2DConditionConfig config) : base(nameof(UNet2DConditionModel))
    {
        config.Validate(new ConfigLocation("unet config"));
        Config = config;
        var c = config.BlockOutChannels;
        var s = new BlockSettings(config, config.TimeEmbedDim);
        conv_in = Layers.Conv2d(config.InChannels, c[0], config.ConvInKernel, padding: (config.ConvInKernel - 1) / 2);
        time_embedding = new TimestepEmbedding(c[0], config.TimeEmbedDim, config.ActFn, config.TimestepPostAct, config.TimeCondProjDim);
        down_blocks = new(Enumerable.Range(0, config.Levels).Select(i => config.Down(i) is var l && l.HasCrossAttention
            ? (UNetDownBlock)new CrossAttnDownBlock2D(l, s) : new DownBlock2D(l, s)).ToArray());
        if (config.MidBlockType is not null) mid_block = new UNetMidBlock(config.Mid(), s);
        up_blocks = new(Enumerable.Range(0, config.Levels).Select(i => config.Up(i) is var l && l.HasCrossAttention
            ? (UNetUpBlock)new CrossAttnUpBlock2D(l, s) : new UpBlock2D(l, s)).ToArray());
        conv_norm_out = Layers.GroupNorm(config.NormNumGroups!.Value, c[0], config.NormEps);
        conv_out = Layers.Conv2d(c[0], config.OutChannels, config.ConvOutKernel, padding: (config.ConvOutKernel - 1) / 2);
        _act = Layers.Activation(config.ActFn);
        _timeEmbedAct = config.TimeEmbeddingActFn is { } a ? Layers.Activation(a) : null;
        RegisterComponents();

        _crossAttention = new(StringComparer.Ordinal);
        foreach (var (name, module) in named_modules())
        {
            if (module is not Attention attention) continue;
            attention.LayerName = name;
            if (attention.IsCrossAttention) _crossAttention[name] = attention;
        }
        CrossAttentionLayers = _crossAttention.Keys.ToList();
    }

    /// <summary>Builds the module on the meta device and counts its parameters: no weight memory is allocated.</summary>
    public static long CountParameters(UNet2DConditionConfig config) => Pretrained.CountParameters(() => new UNet2DConditionModel(config));

    /// <summary>
    /// Loads a diffusers U-Net: <paramref name="folder"/> is the <c>unet</c> folder (with <c>config.json</c>) or a
    /// pipeline folder holding <c>unet/</c>. Weights (single, sharded, or a <paramref name="variant"/> such as
    /// <c>fp16</c>) are converted to the placement's dtype on its device as they load, and must match exactly.
    /// </summary>
    public static UNet2DConditionModel FromPretrained(string folder, string? variant = null, ModelPlacement? at = null)
    {
        var dir = Pretrained.ComponentFolder(folder, "unet");
        var config = ConfigJson.Read<UNet2DConditionConfig>(Path.Combine(dir, "config.json"));
        return Pretrained.Load(() => new UNet2DConditionModel(config), TensorSource.ForComponent(dir, variant), null, at);
    }

    /// <summary>Starts recording the attention probabilities of the named cross-attention layers.</summary>
    /// <param name="keepGradients">Keep the maps in the autograd graph (training losses); false detaches them.</param>
    public AttentionCapture CaptureCrossAttention(IEnumerable<string> layers, bool keepGradients = true)
    {
        var modules = new List<Attention>();
        foreach (var name in layers.Distinct())
        {
            if (!_crossAttention.TryGetValue(name, out var m))
                throw new KeyNotFoundException($"no cross-attention layer named '{name}' (e.g. {string.Join(", ", CrossAttentionLayers.Take(3))}; {CrossAttentionLayers.Count} in all)");
            modules.Add(m);
        }
        return new AttentionCapture(modules, keepGradients);
    }

    /// <summary>Records every cross-attention layer whose name passes <paramref name="select"/>.</summary>
    public AttentionCapture CaptureCrossAttention(Func<string, bool> select, bool keepGradients = true) =>
        CaptureCrossAttention(CrossAttentionLayers.Where(select), keepGradients);

    /// <summary>The U-Net's forward with the condition bag (hidden states and optional key mask).</summary>
    public Tensor forward(Tensor sample, Tensor timestep, Conditioning condition, Action<string, Tensor>? trace = null) =>
        forward(sample, timestep, condition.HiddenStates, condition.AttentionMask, null, trace);

    /// <summary>The forward at one integer timestep for the whole batch.</summary>
    public Tensor forward(Tensor sample, long timestep, Tensor encoderHiddenStates, Tensor? encoderAttentionMask = null)
    {
        using var t = torch.tensor(timestep, device: sample.device);
        return forward(sample, t, encoderHiddenStates, encoderAttentionMask);
    }

    /// <param name="sample">[B, in_channels, H, W] noisy latents.</param>
    /// <param name="timestep">[B], [1] or a scalar tensor, integer or float; broadcast to the batch.</param>
    /// <param name="encoderHiddenStates">[B, L, cross_attention_dim].</param>
    /// <param name="encoderAttentionMask">[B, L], 1 keep / 0 masked: an additive bias (1 - mask) * -10000 in cross-attention only.</param>
    /// <param name="timestepCond">[B, time_cond_proj_dim] when the config has <c>time_cond_proj_dim</c>.</param>
    /// <param name="trace">Receives intermediate tensors by diffusers module name (time_proj, conv_in, down_blocks.0, ...);
    /// they are freed when the forward returns, so clone what you keep.</param>
    /// <returns>[B, out_channels, H, W].</returns>
    public Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates, Tensor? encoderAttentionMask = null,
        Tensor? timestepCond = null, Action<string, Tensor>? trace = null)
    {
        using var scope = torch.NewDisposeScope();
        var batch = sample.shape[0];
        // The weights' dtype is the compute dtype: inputs are cast to it here (diffusers' pipelines cast before the call).
        var dtype = conv_in.weight!.dtype;
        sample = sample.to_type(dtype);
        encoderHiddenStates = encoderHiddenStates.to_type(dtype);
        if (timestep.dim() > 1 || (timestep.dim() == 1 && timestep.shape[0] != batch && timestep.shape[0] != 1))
            throw new ArgumentException($"timestep must be a scalar, [1] or [{batch}] (the batch), got [{string.Join(", ", timestep.shape)}]");
        // Below an odd-sized skip the upsamplers must hit the skip's size instead of doubling.
        var factor = 1L << (up_blocks.Count - 1);
        var forwardUpsampleSize = sample.shape[^2] % factor != 0 || sample.shape[^1] % factor != 0;

        Tensor? bias = null;
        if (encoderAttentionMask is not null)
            bias = ((1 - encoderAttentionMask.to_type(dtype)) * -10000.0).unsqueeze(1);     // [B, 1, L]
        var cross = new CrossInputs(encoderHiddenStates, bias);

        if (Config.CenterInputSample) sample = 2 * sample - 1.0;
        var t = timestep.dim() == 0 ? timestep.unsqueeze(0) : timestep;
        t = t.expand(batch);                                                                 // [B]
        var tProj = Timesteps.Embed(t, Config.BlockOutChannels[0], Config.FlipSinToCos, Config.FreqShift).to_type(dtype);
        trace?.Invoke("time_proj", tProj);
        var emb = time_embedding.forward(tProj, timestepCond);                               // [B, T]
        trace?.Invoke("time_embedding", emb);
        if (_timeEmbedAct is not null) emb = _timeEmbedAct(emb);

        var h = conv_in.call(sample);                                                        // [B, C0, H, W]
        trace?.Invoke("conv_in", h);
        var skips = new List<Tensor> { h };
        for (var i = 0; i < down_blocks.Count; i++)
        {
            (h, var added) = down_blocks[i].forward(h, emb, cross);
            skips.AddRange(added);
            trace?.Invoke($"down_blocks.{i}", h);
        }
        if (mid_block is not null)
        {
            h = mid_block.forward(h, emb, cross);
            trace?.Invoke("mid_block", h);
        }
        for (var i = 0; i < up_blocks.Count; i++)
        {
            var block = up_blocks[i];
            var taken = skips.GetRange(skips.Count - block.ResnetCount, block.ResnetCount);
            skips.RemoveRange(skips.Count - block.ResnetCount, block.ResnetCount);
            long[]? size = i < up_blocks.Count - 1 && forwardUpsampleSize ? skips[^1].shape[2..] : null;
            var next = block.forward(h, taken, emb, cross, size);
            h.Dispose();
            foreach (var skip in taken) skip.Dispose();
            h = next;
            trace?.Invoke($"up_blocks.{i}", h);
        }
        h = conv_norm_out.call(h);
        trace?.Invoke("conv_norm_out", h);
        h = conv_out.call(_act(h));
        trace?.Invoke("conv_out", h);
        return h.MoveToOuterDisposeScope();
    }
}
