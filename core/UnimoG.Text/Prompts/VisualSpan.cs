namespace UnimoG.Text.Prompts;

/// <summary>
/// Where one prompt image's visual tokens sit in the condition sequence: [Start, End). The encoder reports it, the
/// trainer's attention loss reads it; the contract carries it as the proto message of the same name.
/// </summary>
public readonly record struct VisualSpan(int ImageIndex, int Start, int End)
{
    public int Length => End - Start;
}
