using System.Text;
using System.Text.Json;
using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Pipeline;

/// <summary>Reading a raw sample's members: its caption, its metadata, its alpha layers; faults name the member.</summary>
public static class SampleMembers
{
    public static string ReadCaption(byte[] bytes, PrepOptions options)
    {
        string caption;
        try
        {
            caption = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF').Trim();
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("caption (.txt) is not valid UTF-8");
        }
        if (caption.Length == 0)
            throw new InvalidDataException("caption (.txt) is empty");
        if (caption.Length > options.MaxCaptionChars)
            throw new InvalidDataException($"caption has {caption.Length} characters, more than {options.MaxCaptionChars}");
        if (caption.Any(c => char.IsControl(c) && c is not ('\n' or '\t' or '\r')))
            throw new InvalidDataException("caption (.txt) contains control characters (binary data?)");
        return caption;
    }

    public static JsonElement ReadMetadata(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"metadata (.json) is not valid JSON: {e.Message}");
        }
    }

    /// <summary>Alpha layers <c>{key}.layer{i}.png</c> (alpha mode only), index-aligned with the entities.</summary>
    public static DecodedImage?[] LoadLayers(RawSample sample, string key, int count, DecodedImage scene, PrepOptions options)
    {
        var layers = new DecodedImage?[count];
        if (options.Masks != MaskMode.Alpha)
            return layers;
        for (var i = 0; i < count; i++)
        {
            if (!sample.Members.TryGetValue($"layer{i}.png", out var bytes))
                continue;
            DecodedImage layer;
            try
            {
                layer = ImageDecoder.Decode(bytes, options.ImageLimits);
            }
            catch (ImageDecodeException e)
            {
                throw new InvalidDataException($"{key}.layer{i}.png: {e.Message}", e);
            }
            if (layer.Width != scene.Width || layer.Height != scene.Height || !layer.HasAlpha)
                throw new InvalidDataException(
                    $"{key}.layer{i}.png must be an RGBA image of the scene's size {scene.Width}x{scene.Height}, it is {layer.Width}x{layer.Height}{(layer.HasAlpha ? "" : " without alpha")}");
            layers[i] = layer;
        }
        return layers;
    }
}
