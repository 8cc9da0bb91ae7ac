namespace UnimoG.Modeling.Configs;

/// <summary>
/// One level of the U-Net as diffusers builds it. For up blocks <see cref="InChannels"/> is the channel
/// count of the deepest skip connection and <see cref="PrevOutputChannels"/> that of the block below.
/// </summary>
public sealed record UNetLevel(
    string BlockType, int InChannels, int OutChannels, int PrevOutputChannels, int Layers, int[] TransformerLayers,
    int Heads, int CrossAttentionDim, bool OnlyCrossAttention, bool AddSampler)
{
    public bool HasCrossAttention => BlockType is "CrossAttnDownBlock2D" or "CrossAttnUpBlock2D" or "UNetMidBlock2DCrossAttn";
    /// <summary>diffusers' head size: channels // heads (integer division; inner width heads * head size).</summary>
    public int HeadDim => OutChannels / Heads;
}
