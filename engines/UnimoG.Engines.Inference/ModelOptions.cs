using UnimoG.Data.Config;
using UnimoG.Modeling;

namespace UnimoG.Engines.Inference;

/// <summary>Section <c>Model</c>: the model folder every service of a deployment loads, and where it computes (docs/services.md).</summary>
public sealed class ModelOptions : IValidatedOptions
{
    public const string Section = "Model";

    /// <summary>The model folder (diffusers-style pipeline folder). Compose and Helm set <c>/models/unimog-mini</c>.</summary>
    public string Path { get; set; } = "models/unimog-mini";

    /// <summary>
    /// A diffusers U-Net folder used instead of the model folder's <c>unet/</c>: a training run's exported weights or a
    /// checkpoint's <c>unet_ema/</c>. The other components (VAE, encoder, scheduler) must be the ones it was trained with.
    /// </summary>
    public string? UNetPath { get; set; }

    /// <summary>LLaMA's <c>tokenizer.model</c> (MLLM models) or CLIP's vocabulary, when the folder does not hold or find it.</summary>
    public string? TokenizerPath { get; set; }

    /// <summary>Torch intra-op threads for this process (0 = torch's default). One thread is steadiest on a shared CPU.</summary>
    public int Threads { get; set; }

    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>: where the models' weights live and compute (a role may override it).</summary>
    public string Device { get; set; } = "cpu";

    /// <summary><c>float32</c>, <c>bfloat16</c> or <c>float16</c>: the weights' and the compute's precision (a role may override it).</summary>
    public string Dtype { get; set; } = "float32";

    /// <summary>
    /// The placement of one role: its own <c>{role}:Device</c> / <c>{role}:Dtype</c> where set, else this section's.
    /// Throws naming the key when a value is not valid here (e.g. a CUDA device on a CPU build).
    /// </summary>
    public ModelPlacement PlacementFor(RolePlacement role)
    {
        var (device, deviceKey) = string.IsNullOrWhiteSpace(role.Device) ? (Device, $"{Section}:Device") : (role.Device!, $"{role.Section}:Device");
        var (dtype, dtypeKey) = string.IsNullOrWhiteSpace(role.Dtype) ? (Dtype, $"{Section}:Dtype") : (role.Dtype!, $"{role.Section}:Dtype");
        var (placement, problem) = ModelPlacement.TryParse(device, dtype, deviceKey, dtypeKey);
        return placement ?? throw new ModelFolderException(problem!);
    }

    public IEnumerable<string> Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(Path)) yield return $"{section}:Path must name the model folder.";
        if (Threads < 0) yield return $"{section}:Threads must be 0 (torch's default) or more, got {Threads}.";
        if (ModelPlacement.TryParse(Device, Dtype, $"{section}:Device", $"{section}:Dtype").Problem is { } problem) yield return problem;
    }
}

/// <summary>A role's own <c>Device</c> and <c>Dtype</c> settings (empty = the <c>Model</c> section's), with their section for messages.</summary>
public sealed record RolePlacement(string Section, string? Device, string? Dtype)
{
    /// <summary>Checks the role's own values (the Model section's are checked by <see cref="ModelOptions"/>).</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Device) && string.IsNullOrWhiteSpace(Dtype)) yield break;
        var device = string.IsNullOrWhiteSpace(Device) ? "cpu" : Device!;
        var dtype = string.IsNullOrWhiteSpace(Dtype) ? "float32" : Dtype!;
        if (ModelPlacement.TryParse(device, dtype, $"{Section}:Device", $"{Section}:Dtype").Problem is { } problem) yield return problem;
    }
}
