using UnimoG.Data.Config;

namespace UnimoG.Engines.Inference;

/// <summary>Section <c>Model</c>: the model folder every service of a deployment loads (docs/services.md).</summary>
public sealed class ModelOptions : IValidatedOptions
{
    public const string Section = "Model";

    /// <summary>The model folder (diffusers-style pipeline folder). Compose and Helm set <c>/models/unimog-mini</c>.</summary>
    public string Path { get; set; } = "models/unimog-mini";

    /// <summary>LLaMA's <c>tokenizer.model</c> (MLLM models) or CLIP's vocabulary, when the folder does not hold or find it.</summary>
    public string? TokenizerPath { get; set; }

    /// <summary>Torch intra-op threads for this process (0 = torch's default). One thread is steadiest on a shared CPU.</summary>
    public int Threads { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        if (string.IsNullOrWhiteSpace(Path)) yield return $"{section}:Path must name the model folder.";
        if (Threads < 0) yield return $"{section}:Threads must be 0 (torch's default) or more, got {Threads}.";
    }
}
