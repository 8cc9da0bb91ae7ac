using Wire = UnimoG.Contracts.V1.VisualSpan;
using Model = UnimoG.Text.Prompts.VisualSpan;

namespace UnimoG.Engines;

/// <summary>The one conversion between the model's visual spans and the contract's.</summary>
public static class VisualSpans
{
    public static Wire ToWire(this Model s) => new() { ImageIndex = s.ImageIndex, Start = s.Start, End = s.End };

    public static Model FromWire(this Wire s) => new(s.ImageIndex, s.Start, s.End);
}
