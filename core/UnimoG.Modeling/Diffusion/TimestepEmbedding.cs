using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Diffusion;

/// <summary>
/// diffusers' <c>get_timestep_embedding</c> (DDPM's sinusoidal features), in float32 with the reference's
/// order of operations: frequencies exp(-ln(10000) * i / (half - shift)), then [sin, cos] of t * freq
/// ([cos, sin] with flip_sin_to_cos), zero-padded to an odd width.
/// </summary>
public static class Timesteps
{
    /// <param name="timesteps">[B] integer or fractional timesteps.</param>
    /// <returns>[B, dim] float32.</returns>
    public static Tensor Embed(Tensor timesteps, int dim, bool flipSinToCos, double freqShift)
    {
        if (timesteps.dim() != 1) throw new ArgumentException($"timesteps must be 1-D, got [{string.Join(", ", timesteps.shape)}]");
        using var scope = torch.NewDisposeScope();
        var half = dim / 2;
        var exponent = torch.arange(0, half, dtype: ScalarType.Float32, device: timesteps.device) * (-Math.Log(10000.0));
        exponent = exponent / (half - freqShift);
        var args = timesteps.unsqueeze(1).to_type(ScalarType.Float32) * exponent.exp().unsqueeze(0);   // [B, half]
        var emb = flipSinToCos
            ? torch.cat([args.cos(), args.sin()], -1)
            : torch.cat([args.sin(), args.cos()], -1);                                            // [B, 2 half]
        if (dim % 2 == 1) emb = nn.functional.pad(emb, [0, 1, 0, 0]);
        return emb.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' <c>TimestepEmbedding</c>: linear_1 -> act -> linear_2 (-> post act), with an optional <c>cond_proj</c>.</summary>
public sealed class TimestepEmbedding : nn.Module
{
    public readonly Linear linear_1;
    public readonly Linear? cond_proj;
    public readonly Linear linear_2;

    private readonly Func<Tensor, Tensor> _act;
    private readonly Func<Tensor, Tensor>? _postAct;

    public TimestepEmbedding(int inChannels, int embedDim, string act, string? postAct, int? condProjDim)
        : base(nameof(TimestepEmbedding))
    {
        linear_1 = Layers.Linear(inChannels, embedDim);
        if (condProjDim is { } c) cond_proj = Layers.Linear(c, inChannels, bias: false);
        linear_2 = Layers.Linear(embedDim, embedDim);
        _act = Layers.Activation(act);
        _postAct = postAct is null ? null : Layers.Activation(postAct);
        RegisterComponents();
    }

    /// <param name="sample">[B, inChannels] timestep features.</param>
    /// <param name="condition">[B, time_cond_proj_dim] extra condition (e.g. an LCM guidance embedding), or null.</param>
    public Tensor forward(Tensor sample, Tensor? condition = null)
    {
        using var scope = torch.NewDisposeScope();
        if (condition is not null)
        {
            if (cond_proj is null) throw new ArgumentException("a timestep condition was given but the config has no time_cond_proj_dim");
            sample = Layers.Add(sample, cond_proj.call(condition));
        }
        var y = linear_2.call(_act(linear_1.call(sample)));
        if (_postAct is not null) y = _postAct(y);
        return y.MoveToOuterDisposeScope();
    }
}
