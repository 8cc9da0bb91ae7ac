using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling;

/// <summary>
/// The torch layers every model here is built from, created at the building thread's <see cref="ModelPlacement"/> (the
/// real device and dtype, or <c>meta</c> to count parameters without allocating them). GroupNorm and LayerNorm get
/// PyTorch's initial values explicitly: TorchSharp 0.107 leaves GroupNorm's weight and bias uninitialised.
/// </summary>
internal static class Layers
{
    private static ModelPlacement At => ModelPlacement.Current;

    public static Conv2d Conv2d(long cin, long cout, long kernel, long stride = 1, long padding = 0, bool bias = true) =>
        nn.Conv2d(cin, cout, kernel, stride: stride, padding: padding, bias: bias, device: At.Device, dtype: At.DType);

    public static Linear Linear(long cin, long cout, bool bias = true) =>
        nn.Linear(cin, cout, hasBias: bias, device: At.Device, dtype: At.DType);

    public static Embedding Embedding(long count, long dim) =>
        nn.Embedding(count, dim, device: At.Device, dtype: At.DType);

    public static GroupNorm GroupNorm(long groups, long channels, double eps)
    {
        var norm = nn.GroupNorm(groups, channels, eps, affine: true, device: At.Device, dtype: At.DType);
        using var _ = torch.no_grad();
        norm.weight!.fill_(1.0);
        norm.bias!.zero_();
        return norm;
    }

    public static LayerNorm LayerNorm(long dim, double eps)
    {
        var norm = nn.LayerNorm(dim, eps, elementwise_affine: true, device: At.Device, dtype: At.DType);
        using var _ = torch.no_grad();
        norm.weight!.fill_(1.0);
        norm.bias!.zero_();
        return norm;
    }

    /// <summary>A parameter of <paramref name="shape"/> filled with <paramref name="value"/> (0 for biases and query tokens, 1 for norm weights).</summary>
    public static Parameter Parameter(long[] shape, double value = 0)
    {
        using var t = torch.full(shape, value, dtype: At.DType, device: At.Device);
        return nn.Parameter(t);
    }

    /// <summary>A parameter of standard normal values (PyTorch's <c>torch.randn</c> init, e.g. CLIP's class embedding).</summary>
    public static Parameter RandomParameter(params long[] shape)
    {
        using var t = torch.randn(shape, dtype: At.DType, device: At.Device);
        return nn.Parameter(t);
    }

    /// <summary>diffusers' <c>get_activation</c>: the names a config may use for <c>act_fn</c>.</summary>
    public static readonly IReadOnlyList<string> ActivationNames = ["silu", "swish", "mish", "gelu", "relu"];

    public static Func<Tensor, Tensor> Activation(string name) => name switch
    {
        "silu" or "swish" => x => nn.functional.silu(x),
        "mish" => x => nn.functional.mish(x),
        "gelu" => x => nn.functional.gelu(x),
        "relu" => x => nn.functional.relu(x),
        _ => throw new ArgumentException($"unsupported activation '{name}' (supported: {string.Join(", ", ActivationNames)})"),
    };

    /// <summary>
    /// The constant 1 as a torch Scalar, made once. TorchSharp's <c>a + b</c> creates a native Scalar (alpha = 1)
    /// per call that only the GC frees; in a forward with hundreds of additions those small native blocks
    /// fragment the heap between large activation buffers and resident memory creeps up step after step.
    /// </summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>a + b without a per-call native Scalar (see <see cref="One"/>).</summary>
    public static Tensor Add(Tensor a, Tensor b) => a.add(b, One);

    /// <summary>Counts parameters (not buffers) of a module.</summary>
    public static long ParameterCount(nn.Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>The dtype of a module's first parameter (its compute dtype), float32 for one without parameters.</summary>
    public static ScalarType DType(nn.Module module) => module.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
}
