using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>One part of a multimodal prompt as the MLLM encoder takes it: text, or an already preprocessed image.</summary>
public abstract record MllmPart;

public sealed record MllmText(string Text) : MllmPart;

/// <summary>
/// An image as CLIP-normalised <c>pixel_values</c> [3, H, W] (or [1, 3, H, W]) and the hash of its content (e.g.
/// SHA-256 of the file bytes), which keys the embedding cache.
/// </summary>
public sealed record MllmImage(Tensor PixelValues, string ContentHash) : MllmPart
{
    /// <summary>An image keyed by the SHA-256 of its pixel values (when no file hash is at hand).</summary>
    public static MllmImage FromPixels(Tensor pixelValues)
    {
        using var c = pixelValues.to(ScalarType.Float32, CPU).contiguous(); // hashed as float32 bytes, wherever they live
        return new MllmImage(pixelValues, "px:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(c.bytes)));
    }
}

/// <summary>Text to LLM token ids without special tokens (the encoder adds BOS once, at the start).</summary>
public interface ILlmTokenizer
{
    IReadOnlyList<int> Encode(string text);
}

/// <summary>An <see cref="ILlmTokenizer"/> from a function (tests, or any tokenizer wrapper).</summary>
public sealed class DelegateTokenizer(Func<string, IReadOnlyList<int>> encode) : ILlmTokenizer
{
    public IReadOnlyList<int> Encode(string text) => encode(text);
}
