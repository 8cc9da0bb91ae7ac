using System.Globalization;

namespace UnimoG.Contracts.Tensors;

/// <summary>
/// The tensor names of the wire contract, as the protos document them (encoder.proto, denoiser.proto, vae.proto).
/// Both sides use these constants: a name is a contract, not a string literal.
/// </summary>
public static class TensorNames
{
    /// <summary>Encoder.Encode / EncodeMany: the condition [1, L, D].</summary>
    public const string HiddenStates = "hidden_states";

    /// <summary>Encoder.Encode / EncodeMany: the key mask [1, L] (1 = token).</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>Denoiser.Denoise: the prompt's condition and mask.</summary>
    public const string CondHiddenStates = "cond." + HiddenStates;
    public const string CondAttentionMask = "cond." + AttentionMask;

    /// <summary>Denoiser.Denoise: the unconditional or negative prompt's condition and mask (guidance > 1).</summary>
    public const string UncondHiddenStates = "uncond." + HiddenStates;
    public const string UncondAttentionMask = "uncond." + AttentionMask;

    /// <summary>Denoiser.Denoise (final result), Vae.Decode (input), Vae.Encode (output): latents in the diffusion space.</summary>
    public const string Latent = "latent";

    /// <summary>Vae.Encode with include_distribution: the posterior's mean and log-variance.</summary>
    public const string Mean = "mean";
    public const string LogVar = "logvar";

    /// <summary>Denoiser.Denoise, PREVIEW_KIND_LATENT: the predicted clean latent after 1-based step <paramref name="step"/>.</summary>
    public static string Preview(int step) => PreviewPrefix + step.ToString(CultureInfo.InvariantCulture);

    /// <summary>The step of a <see cref="Preview(int)"/> name, or null when <paramref name="name"/> is not one.</summary>
    public static int? PreviewStep(string name) =>
        name.StartsWith(PreviewPrefix, StringComparison.Ordinal)
        && int.TryParse(name.AsSpan(PreviewPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;

    private const string PreviewPrefix = "preview.";

    /// <summary>The two tensors of a condition under <paramref name="prefix"/> ("cond" or "uncond").</summary>
    public static (string HiddenStates, string AttentionMask) Condition(string prefix) => ($"{prefix}.{HiddenStates}", $"{prefix}.{AttentionMask}");
}
