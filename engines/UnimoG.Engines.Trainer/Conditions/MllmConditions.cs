using UnimoG.Modeling;
using UnimoG.Modeling.Encoders;
using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using UnimoG.Engines.Trainer.Data;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Conditions;

/// <summary>
/// Conditions from the frozen MLLM in this process. Entity segments (RGBA PNG) are squared (<see cref="Data.EntitySegments"/>), composited over white and
/// preprocessed CLIP-style to the vision tower's size; the empty prompt is BOS alone.
/// </summary>
public sealed class MllmConditions(MllmEncoder encoder, int? layer = null, bool ownsEncoder = true) : IConditionSource
{
    private readonly ClipImageProcessor _processor = new(ClipImageProcessorConfig.ForImageSize(encoder.Vision.Config.ImageSize));

    public MllmEncoder Encoder { get; } = encoder;
    public string Description => $"in-process MLLM '{Encoder.Config.ModelId}'";
    public int Width => Encoder.Width;

    public Conditioning Encode(IReadOnlyList<ConditionRequest> requests)
    {
        using var scope = NewDisposeScope();
        var prompts = requests.Select(r => (IReadOnlyList<MllmPart>)r.Prompt.Select(ToPart).ToList()).ToList();
        var cond = Encoder.EncodeBatch(prompts, layer);
        cond.HiddenStates.MoveToOuterDisposeScope();
        cond.AttentionMask?.MoveToOuterDisposeScope();
        return cond;
    }

    private MllmPart ToPart(PromptPiece piece)
    {
        if (piece is PromptPiece.Text t) return new MllmText(t.Value);
        var im = (PromptPiece.Image)piece;
        var bytes = im.Segment.Read();
        // keyed by the bytes' SHA-256, as the Encoder service keys uploaded images (the encoder's cache reuses it)
        // squared on white first (EntitySegments): the encoder sees the whole entity, as in the reference images of generation
        var squared = Data.EntitySegments.SquarePng(bytes);
        return new MllmImage(_processor.PixelValues([ImageDecoder.Decode(squared)]), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(squared)));
    }

    public Conditioning Unconditional() => EmptyPrompt(Encoder, layer);

    /// <summary>The MLLM's condition for the empty prompt: the chosen hidden-state layer over BOS alone (as the Encoder service gives it).</summary>
    public static Conditioning EmptyPrompt(MllmEncoder encoder, int? layer = null) => encoder.EncodeUnconditional(layer);

    public void Dispose()
    {
        if (ownsEncoder) Encoder.Dispose();
    }
}
