using UnimoG.Modeling;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Images;
using UnimoG.Engines.Trainer.Data;

namespace UnimoG.Engines.Trainer.Conditions;

/// <summary>Stable-Diffusion-style conditions from a frozen CLIP text encoder (stage 1 only: no images).</summary>
public sealed class ClipConditions(ClipTextConditioner conditioner) : IConditionSource
{
    public string Description => "in-process CLIP text encoder";
    public int Width => conditioner.Model.Config.HiddenSize;

    public Conditioning Encode(IReadOnlyList<ConditionRequest> requests) =>
        conditioner.Encode(requests.Select(r => r.Prompt.Count == 1 && r.Prompt[0] is PromptPiece.Text t ? t.Value
            : throw new InvalidDataException($"sample '{r.Key}': the CLIP text encoder takes text only; multimodal prompts need the MLLM")).ToList());

    public Conditioning Unconditional() => conditioner.Encode([""]);

    public void Dispose() => conditioner.Model.Dispose();
}
