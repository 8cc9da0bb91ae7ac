namespace UnimoG.Engines.DataPrep.Entities;

/// <summary>
/// Greedy text generation by a language model. The MLLM encoder's LLaMA implements this through a thin adapter
/// where the pipeline is composed; data preparation only needs these two calls.
/// </summary>
public interface ITextGenerator
{
    /// <summary>Greedy continuation of <paramref name="prompt"/>: only the new text, at most <paramref name="maxNewTokens"/> tokens.</summary>
    string Generate(string prompt, int maxNewTokens, CancellationToken cancellationToken = default);
}

/// <summary>A generator that can also look at an image (the MLLM: vision tower, projector, LLaMA).</summary>
public interface IImageTextGenerator : ITextGenerator
{
    /// <summary>
    /// Greedy continuation of a prompt made of the image followed by <paramref name="prompt"/> (the adapter places the
    /// image as its model expects, e.g. MiniGPT-4's <c>&lt;Img&gt;...&lt;/Img&gt;</c>). <paramref name="encodedImage"/>
    /// is the sample's file (JPEG, PNG or WebP bytes).
    /// </summary>
    string Generate(ReadOnlyMemory<byte> encodedImage, string prompt, int maxNewTokens, CancellationToken cancellationToken = default);
}
