using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Mini.Evaluators;

/// <summary>The evaluators' image encoder: widths per stage (the first at half resolution), output width.</summary>
public sealed record ConvEncoderConfig : IValidatedConfig
{
    [JsonPropertyName("channels")] public int[] Channels { get; init; } = [32, 48, 96, 128];
    [JsonPropertyName("embed_dim")] public int EmbedDim { get; init; } = 128;
    [JsonPropertyName("norm_groups")] public int NormGroups { get; init; } = 8;
    [JsonPropertyName("image_size")] public int ImageSize { get; init; } = MiniConfigs.ImageSize;

    public void Validate(ConfigLocation at)
    {
        at["norm_groups"].InRange(NormGroups, 1);
        if (Channels.Length == 0 || Channels.Any(c => c <= 0 || c % NormGroups != 0))
            throw at["channels"].Error($"[{string.Join(", ", Channels)}] must be positive multiples of norm_groups ({NormGroups})");
        at["embed_dim"].InRange(EmbedDim, 1);
        if (ImageSize != MiniConfigs.ImageSize) throw at["image_size"].Error($"{ImageSize}: the evaluators take {MiniConfigs.ImageSize}x{MiniConfigs.ImageSize} images");
    }
}

/// <summary>Pre-activation residual block: x + conv2(silu(norm2(conv1(silu(norm1(x)))))).</summary>
public sealed class ResBlock : nn.Module<Tensor, Tensor>
{
    public readonly GroupNorm norm1, norm2;
    public readonly Conv2d conv1, conv2;

    public ResBlock(int channels, int groups) : base(nameof(ResBlock))
    {
        norm1 = Norm(groups, channels);
        conv1 = nn.Conv2d(channels, channels, 3, padding: 1);
        norm2 = Norm(groups, channels);
        conv2 = nn.Conv2d(channels, channels, 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>GroupNorm with PyTorch's initial values (TorchSharp 0.107 leaves them uninitialised).</summary>
    public static GroupNorm Norm(int groups, int channels)
    {
        var norm = nn.GroupNorm(groups, channels);
        using var _ = torch.no_grad();
        norm.weight!.fill_(1.0);
        norm.bias!.zero_();
        return norm;
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = conv1.forward(nn.functional.silu(norm1.forward(x)));
        h = conv2.forward(nn.functional.silu(norm2.forward(h)));
        return (x + h).MoveToOuterDisposeScope();
    }
}

/// <summary>One resolution: a stride-2 convolution (halves the size, changes the width), then a residual block.</summary>
public sealed class Stage : nn.Module<Tensor, Tensor>
{
    public readonly Conv2d down;
    public readonly ResBlock block;

    public Stage(int cin, int cout, int groups) : base(nameof(Stage))
    {
        down = nn.Conv2d(cin, cout, 3, stride: 2, padding: 1);
        block = new ResBlock(cout, groups);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return block.forward(down.forward(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A small ResNet for 64x64 emoji images: stages of (stride-2 conv, residual block) at 32, 16, 8 and 4 pixels,
/// group norm and SiLU, global average pooling, a final norm and a linear map to <c>embed_dim</c>. Input: CLIP-normalised
/// pixels [B, 3, 64, 64]; output [B, embed_dim]. Keys: <c>stages.N.{down, block.{norm1, conv1, norm2, conv2}}</c>,
/// <c>norm_out</c>, <c>proj</c>.
/// </summary>
public sealed class ConvEncoder : nn.Module<Tensor, Tensor>
{
    public ConvEncoderConfig Config { get; }
    public readonly ModuleList<Stage> stages;
    public readonly GroupNorm norm_out;
    public readonly Linear proj;

    public ConvEncoder(ConvEncoderConfig config) : base(nameof(ConvEncoder))
    {
        config.Validate(new ConfigLocation("image encoder config"));
        Config = config;
        var c = config.Channels;
        stages = new ModuleList<Stage>(Enumerable.Range(0, c.Length).Select(i => new Stage(i == 0 ? 3 : c[i - 1], c[i], config.NormGroups)).ToArray());
        norm_out = ResBlock.Norm(config.NormGroups, c[^1]);
        proj = nn.Linear(c[^1], config.EmbedDim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor pixels)
    {
        using var scope = torch.NewDisposeScope();
        var x = pixels;
        foreach (var s in stages) x = s.forward(x);                                  // [B, C, 4, 4]
        x = nn.functional.silu(norm_out.forward(x)).mean([2L, 3L]);                  // [B, C]
        return proj.forward(x).MoveToOuterDisposeScope();                            // [B, E]
    }
}
