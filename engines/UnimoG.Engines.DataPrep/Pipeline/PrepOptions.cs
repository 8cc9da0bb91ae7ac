using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Pipeline;

/// <summary>Where entity masks come from.</summary>
public enum MaskMode
{
    /// <summary>SAM with the entity's box as prompt.</summary>
    Sam,
    /// <summary>The alpha channel of the entity's layer image or of the scene image.</summary>
    Alpha,
    /// <summary>The box itself (no segmentation model): a coarse mask.</summary>
    Box,
}

public sealed record PrepOptions
{
    /// <summary>Probability that an entity of a multimodal sample is replaced by its image (the paper gives no number).</summary>
    public double ReplaceRate { get; init; } = 0.5;

    /// <summary>Share of samples kept as plain captions (paper, appendix A: 10 %).</summary>
    public double TextOnlyShare { get; init; } = 0.1;

    public long Seed { get; init; }
    public MaskMode Masks { get; init; } = MaskMode.Sam;
    public long MaxPixels { get; init; } = 64L * 1024 * 1024;

    /// <summary>Decoding limits: only the pixel count is bounded (no side or file-size limit for training data).</summary>
    internal ImageLimits ImageLimits => new() { MaxPixels = MaxPixels, MaxSide = int.MaxValue, MaxBytes = long.MaxValue };
    public int MaxCaptionChars { get; init; } = 2000;

    /// <summary>Entities beyond this many (in caption order) are dropped.</summary>
    public int MaxEntities { get; init; } = 8;

    public void Validate()
    {
        if (ReplaceRate is < 0 or > 1 || double.IsNaN(ReplaceRate))
            throw new ArgumentException($"replace rate must be in [0, 1], not {ReplaceRate}");
        if (TextOnlyShare is < 0 or > 1 || double.IsNaN(TextOnlyShare))
            throw new ArgumentException($"text-only share must be in [0, 1], not {TextOnlyShare}");
        if (MaxEntities < 1)
            throw new ArgumentException($"max entities must be at least 1, not {MaxEntities}");
    }
}
