using TorchSharp;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>transformers' <c>ACT2FN</c> names that the encoders use; anything else fails naming the key.</summary>
public static class Activations
{
    public static readonly string[] Supported = ["gelu", "quick_gelu", "silu", "swish", "gelu_new", "gelu_pytorch_tanh", "relu"];

    /// <summary>Fails naming the config key when <paramref name="name"/> is not one of <see cref="Supported"/>.</summary>
    public static void Check(ConfigLocation at, string name)
    {
        if (!Supported.Contains(name)) throw at.Error($"\"{name}\" is not supported: supported: {string.Join(", ", Supported)}");
    }

    public static Func<Tensor, Tensor> Get(string name) => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        // CLIP's x * sigmoid(1.702 x)
        "quick_gelu" => x => x * torch.sigmoid(x * 1.702),
        "silu" or "swish" => x => nn.functional.silu(x),
        // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        "gelu_new" or "gelu_pytorch_tanh" => x => 0.5 * x * (1.0 + torch.tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * torch.pow(x, 3.0)))),
        "relu" => x => nn.functional.relu(x),
        _ => throw new InvalidDataException($"unsupported activation \"{name}\"; supported: {string.Join(", ", Supported)}"),
    };
}
