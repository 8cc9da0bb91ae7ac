using System.Security.Cryptography;
using UnimoG.Imaging;

namespace UnimoG.Text.Prompts;

/// <summary>A validated prompt image: decoded pixels plus the content hash that identifies it.</summary>
public sealed class PromptImage
{
    /// <summary>The decoded, upright image (RGBA); smaller than the file's when it was decoded scaled.</summary>
    public DecodedImage Pixels { get; }

    /// <summary>
    /// Lower-case hex SHA-256 of the encoded bytes (what <c>ImageInput.sha256</c> refers to), or, for an image
    /// made in memory, of its size and RGBA pixels.
    /// </summary>
    public string Sha256 { get; }

    /// <summary>The encoded file, when the image came as one.</summary>
    public byte[]? Bytes { get; }

    private PromptImage(DecodedImage pixels, string sha256, byte[]? bytes)
    {
        Pixels = pixels;
        Sha256 = sha256;
        Bytes = bytes;
    }

    /// <summary>
    /// Decodes (scaled, given <paramref name="scaling"/>) and hashes an encoded image; a decoding failure is a
    /// <see cref="PromptException"/> naming <paramref name="field"/>.
    /// </summary>
    public static PromptImage Decode(byte[] bytes, ImageLimits limits, string field, ScaledDecoding? scaling = null)
    {
        try
        {
            return new PromptImage(ImageDecoder.Decode(bytes, limits, scaling), HashOf(bytes), bytes);
        }
        catch (ImageDecodeException e)
        {
            throw new PromptException(PromptError.BadImage, field, null, e.Message, e);
        }
    }

    public static PromptImage FromPixels(DecodedImage image)
    {
        var header = new byte[8];
        BitConverter.TryWriteBytes(header.AsSpan(0, 4), image.Width);
        BitConverter.TryWriteBytes(header.AsSpan(4, 4), image.Height);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData("rgba8:"u8);
        sha.AppendData(header);
        sha.AppendData(image.Rgba);
        return new PromptImage(image, Convert.ToHexStringLower(sha.GetHashAndReset()), null);
    }

    public static string HashOf(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
