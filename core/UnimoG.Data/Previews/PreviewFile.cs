using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace UnimoG.Data.Previews;

/// <summary>
/// A model folder's <c>preview.json</c>: the linear latent-to-RGB preview (ComfyUI's <c>latent_rgb_factors</c>),
/// rgb = z · factors + bias per latent pixel, where z is the latent the sampler works in (VAE mean × scaling_factor)
/// and rgb is in [-1, 1]. Values are kept as doubles, written at full precision (round trip exact).
/// </summary>
public sealed record PreviewFile
{
    public const string FileName = "preview.json";
    private const string LatentSpace = "scaled (vae mean * scaling_factor)";

    /// <summary>[latent channel][r, g, b].</summary>
    public required double[][] Factors { get; init; }
    public required double[] Bias { get; init; }
    /// <summary>How the factors were made (null when the file does not say).</summary>
    public string? Source { get; init; }
    /// <summary>Root-mean-square error of the fit on its own data, in the [-1, 1] range.</summary>
    public double? FitRmse { get; init; }
    /// <summary>How many images the fit saw.</summary>
    public long? Images { get; init; }

    public int LatentChannels => Factors.Length;

    /// <summary>The folder's <c>preview.json</c>; null when there is none. A malformed file throws <see cref="InvalidDataException"/> naming it.</summary>
    public static PreviewFile? Load(string modelFolder)
    {
        var path = Path.Combine(modelFolder, FileName);
        return File.Exists(path) ? Read(path) : null;
    }

    public static PreviewFile Read(string path)
    {
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException("empty file");
            var factors = root["latent_rgb_factors"]?.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray()
                ?? throw new InvalidDataException("'latent_rgb_factors' is missing");
            var bias = root["latent_rgb_bias"]?.AsArray().Select(v => v!.GetValue<double>()).ToArray() ?? [0, 0, 0];
            if (factors.Length == 0 || factors.Any(r => r.Length != 3) || bias.Length != 3)
                throw new InvalidDataException("'latent_rgb_factors' must be C rows of 3 numbers and 'latent_rgb_bias' 3 numbers");
            return new PreviewFile
            {
                Factors = factors, Bias = bias, Source = root["source"]?.GetValue<string>(),
                FitRmse = root["fit_rmse"]?.GetValue<double>(), Images = root["images"]?.GetValue<long>(),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Writes <c>{modelFolder}/preview.json</c>; returns its path.</summary>
    public string Save(string modelFolder)
    {
        static JsonArray Row(IEnumerable<double> v) => new(v.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());
        var root = new JsonObject
        {
            ["latent_rgb_factors"] = new JsonArray(Factors.Select(r => (JsonNode)Row(r)).ToArray()),
            ["latent_rgb_bias"] = Row(Bias),
            ["latent_space"] = LatentSpace,
            ["rgb_range"] = Row([-1, 1]),
        };
        if (Source is not null) root["source"] = Source;
        if (FitRmse is { } rmse) root["fit_rmse"] = rmse;
        if (Images is { } images) root["images"] = images;
        var path = Path.Combine(modelFolder, FileName);
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        return path;
    }
}
