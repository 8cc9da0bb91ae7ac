using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Configs;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>What every U-Net block is built from: the level's layout plus the model-wide settings.</summary>
internal sealed record BlockSettings(UNet2DConditionConfig Config, int TembChannels)
{
    public int Groups => Config.NormNumGroups!.Value;

    public ResnetBlock2D Resnet(int cin, int cout, double outputScale = 1.0) =>
        new(cin, cout, TembChannels, Groups, Config.NormEps, Config.ActFn, Config.ResnetTimeScaleShift, outputScale, Config.Dropout);

    public Transformer2DModel Transformer(UNetLevel level, int layers) =>
        new(level.OutChannels, level.Heads, level.HeadDim, layers, level.CrossAttentionDim, Groups,
            Config.UseLinearProjection, level.OnlyCrossAttention, Config.UpcastAttention);
}

/// <summary>The inputs every block's cross-attention sees: encoder states [B, L, D] and the mask bias [B, 1, L].</summary>
public readonly record struct CrossInputs(Tensor Context, Tensor? Bias);

/// <summary>A down block: resnets (each followed by a transformer in the cross-attention variant), then an optional downsampler.</summary>
public abstract class UNetDownBlock(string name) : nn.Module(name)
{
    /// <returns>The block output and the skip states it adds (one per resnet, plus the downsampled one).</returns>
    public abstract (Tensor Output, List<Tensor> Skips) forward(Tensor x, Tensor temb, CrossInputs cross);
}

/// <summary>An up block: each resnet takes the running state concatenated with one skip state.</summary>
public abstract class UNetUpBlock(string name) : nn.Module(name)
{
    public abstract int ResnetCount { get; }
    public abstract Tensor forward(Tensor x, IReadOnlyList<Tensor> skips, Tensor temb, CrossInputs cross, long[]? upsampleSize);
}

public sealed class CrossAttnDownBlock2D : UNetDownBlock
{
    public readonly ModuleList<ResnetBlock2D> resnets;
    public readonly ModuleList<Transformer2DModel> attentions;
    public readonly ModuleList<Downsample2D>? downsamplers;

    internal CrossAttnDownBlock2D(UNetLevel level, BlockSettings s) : base(nameof(CrossAttnDownBlock2D))
    {
        resnets = new(Enumerable.Range(0, level.Layers).Select(i => s.Resnet(i == 0 ? level.InChannels : level.OutChannels, level.OutChannels)).ToArray());
        attentions = new(Enumerable.Range(0, level.Layers).Select(i => s.Transformer(level, level.TransformerLayers[i])).ToArray());
        if (level.AddSampler) downsamplers = new(new Downsample2D(level.OutChannels, s.Config.DownsamplePadding));
        RegisterComponents();
    }

    public override (Tensor Output, List<Tensor> Skips) forward(Tensor x, Tensor temb, CrossInputs cross)
    {
        using var scope = torch.NewDisposeScope();
        var skips = new List<Tensor>();
        for (var i = 0; i < resnets.Count; i++)
        {
            x = attentions[i].forward(resnets[i].forward(x, temb), cross.Context, cross.Bias);
            skips.Add(x);
        }
        if (downsamplers is not null)
        {
            x = downsamplers[0].call(x);
            skips.Add(x);
        }
        foreach (var skip in skips) skip.MoveToOuterDisposeScope();  // the output is the last skip
        return (x, skips);
    }
}

public sealed class DownBlock2D : UNetDownBlock
{
    public readonly ModuleList<ResnetBlock2D> resnets;
    public readonly ModuleList<Downsample2D>? downsamplers;

    internal DownBlock2D(UNetLevel level, BlockSettings s) : base(nameof(DownBlock2D))
    {
        resnets = new(Enumerable.Range(0, level.Layers).Select(i => s.Resnet(i == 0 ? level.InChannels : level.OutChannels, level.OutChannels)).ToArray());
        if (level.AddSampler) downsamplers = new(new Downsample2D(level.OutChannels, s.Config.DownsamplePadding));
        RegisterComponents();
    }

    public override (Tensor Output, List<Tensor> Skips) forward(Tensor x, Tensor temb, CrossInputs cross)
    {
        using var scope = torch.NewDisposeScope();
        var skips = new List<Tensor>();
        foreach (var resnet in resnets)
        {
            x = resnet.forward(x, temb);
            skips.Add(x);
        }
        if (downsamplers is not null)
        {
            x = downsamplers[0].call(x);
            skips.Add(x);
        }
        foreach (var skip in skips) skip.MoveToOuterDisposeScope();  // the output is the last skip
        return (x, skips);
    }
}

public sealed class CrossAttnUpBlock2D : UNetUpBlock
{
    public readonly ModuleList<ResnetBlock2D> resnets;
    public readonly ModuleList<Transformer2DModel> attentions;
    public readonly ModuleList<Upsample2D>? upsamplers;

    internal CrossAttnUpBlock2D(UNetLevel level, BlockSettings s) : base(nameof(CrossAttnUpBlock2D))
    {
        resnets = new(Enumerable.Range(0, level.Layers).Select(i => s.Resnet(UpResnetIn(level, i), level.OutChannels)).ToArray());
        attentions = new(Enumerable.Range(0, level.Layers).Select(i => s.Transformer(level, level.TransformerLayers[i])).ToArray());
        if (level.AddSampler) upsamplers = new(new Upsample2D(level.OutChannels));
        RegisterComponents();
    }

    /// <summary>Resnet i reads the running state (prev block's width first, then this block's) plus a skip.</summary>
    internal static int UpResnetIn(UNetLevel level, int i) =>
        (i == 0 ? level.PrevOutputChannels : level.OutChannels) + (i == level.Layers - 1 ? level.InChannels : level.OutChannels);

    public override int ResnetCount => resnets.Count;

    public override Tensor forward(Tensor x, IReadOnlyList<Tensor> skips, Tensor temb, CrossInputs cross, long[]? upsampleSize)
    {
        using var scope = torch.NewDisposeScope();
        for (var i = 0; i < resnets.Count; i++)
        {
            var cat = torch.cat([x, skips[^(i + 1)]], 1);        // [B, C + Cskip, H, W]; the last skip pushed is used first
            x = attentions[i].forward(resnets[i].forward(cat, temb), cross.Context, cross.Bias);
        }
        return (upsamplers is null ? x : upsamplers[0].forward(x, upsampleSize)).MoveToOuterDisposeScope();
    }
}

public sealed class UpBlock2D : UNetUpBlock
{
    public readonly ModuleList<ResnetBlock2D> resnets;
    public readonly ModuleList<Upsample2D>? upsamplers;

    internal UpBlock2D(UNetLevel level, BlockSettings s) : base(nameof(UpBlock2D))
    {
        resnets = new(Enumerable.Range(0, level.Layers).Select(i => s.Resnet(CrossAttnUpBlock2D.UpResnetIn(level, i), level.OutChannels)).ToArray());
        if (level.AddSampler) upsamplers = new(new Upsample2D(level.OutChannels));
        RegisterComponents();
    }

    public override int ResnetCount => resnets.Count;

    public override Tensor forward(Tensor x, IReadOnlyList<Tensor> skips, Tensor temb, CrossInputs cross, long[]? upsampleSize)
    {
        using var scope = torch.NewDisposeScope();
        for (var i = 0; i < resnets.Count; i++)
        {
            var cat = torch.cat([x, skips[^(i + 1)]], 1);        // [B, C + Cskip, H, W]
            x = resnets[i].forward(cat, temb);
        }
        return (upsamplers is null ? x : upsamplers[0].forward(x, upsampleSize)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The U-Net's middle: <c>UNetMidBlock2DCrossAttn</c> (resnet, then transformer + resnet) or
/// <c>UNetMidBlock2D</c> without attention (one resnet), resnets scaled by mid_block_scale_factor.
/// </summary>
public sealed class UNetMidBlock : nn.Module
{
    public readonly ModuleList<ResnetBlock2D> resnets;
    public readonly ModuleList<Transformer2DModel>? attentions;

    internal UNetMidBlock(UNetLevel level, BlockSettings s) : base(level.BlockType)
    {
        var scale = s.Config.MidBlockScaleFactor;
        var cross = level.HasCrossAttention;
        resnets = new(Enumerable.Range(0, cross ? 2 : 1).Select(_ => s.Resnet(level.OutChannels, level.OutChannels, scale)).ToArray());
        if (cross) attentions = new(s.Transformer(level, level.TransformerLayers[0]));
        RegisterComponents();
    }

    public Tensor forward(Tensor x, Tensor temb, CrossInputs cross)
    {
        using var scope = torch.NewDisposeScope();
        x = resnets[0].forward(x, temb);
        if (attentions is not null)
            x = resnets[1].forward(attentions[0].forward(x, cross.Context, cross.Bias), temb);
        return x.MoveToOuterDisposeScope();
    }
}
