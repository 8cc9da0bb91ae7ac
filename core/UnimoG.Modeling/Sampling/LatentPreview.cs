using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// A linear latent-to-RGB projection for cheap denoising previews: per latent pixel,
/// rgb = z · <see cref="Factors"/> + <see cref="Bias"/>, in [-1, 1] like a decoded image, where z is the
/// C-channel latent in the diffusion space (what the U-Net sees: VAE latents times scaling_factor).
/// One matrix multiply per pixel instead of a VAE decode. Stored in a model folder as <c>preview.json</c>.
/// </summary>
public sealed record LatentPreviewFactors(float[][] Factors, float[] Bias, string Source)
{
    public const string FileName = "preview.json";

    /// <summary>
    /// Stable Diffusion 1.x's public factors (as ComfyUI's <c>latent_formats.SD15</c> ships them; no bias),
    /// for latents in the diffusion space (times 0.18215).
    /// </summary>
    public static LatentPreviewFactors StableDiffusion15 { get; } = new(
        [
            [0.3512f, 0.2297f, 0.3227f],
            [0.3250f, 0.4974f, 0.2350f],
            [-0.2829f, 0.1762f, 0.2721f],
            [-0.2120f, -0.2616f, -0.7177f],
        ],
        [0f, 0f, 0f],
        "Stable Diffusion 1.5 public latent-to-RGB factors");

    public int LatentChannels => Factors.Length;

    /// <summary>x0 [B, C, h, w] -> images [B, 3, h, w] (unclamped; PNG encoding clamps to [-1, 1]).</summary>
    public Tensor Project(Tensor latents)
    {
        if (latents.dim() != 4 || latents.shape[1] != LatentChannels)
            throw new ArgumentException($"preview: expected latents [B, {LatentChannels}, h, w], got [{string.Join(", ", latents.shape)}]");
        using var scope = NewDisposeScope();
        var m = tensor(Factors.SelectMany(r => r).ToArray(), [LatentChannels, 3], dtype: ScalarType.Float32).to(latents.device); // [C, 3]
        var b = tensor(Bias, [1, 3, 1, 1], dtype: ScalarType.Float32).to(latents.device);
        var rgb = einsum("bchw,cd->bdhw", latents.to_type(ScalarType.Float32), m) + b;                                    // [B, 3, h, w]
        return rgb.MoveToOuterDisposeScope();
    }

    /// <summary>One PNG per row of x0, at latent resolution.</summary>
    public IReadOnlyList<byte[]> Pngs(Tensor latents)
    {
        using var rgb = Project(latents);
        return Png.EncodeBatch(rgb);
    }

    /// <summary>
    /// Least-squares factors (with bias) mapping latents [N, C, h, w] to images [N, 3, h, w] at the same
    /// resolution: the normal equations [z 1]^T [z 1] W = [z 1]^T rgb solved in float64. Returns the factors and
    /// the root-mean-square error of the fit (in the [-1, 1] image scale).
    /// </summary>
    public static (LatentPreviewFactors Factors, double Rmse) Fit(Tensor latents, Tensor images, string source)
    {
        if (latents.dim() != 4 || images.dim() != 4 || images.shape[1] != 3 || latents.shape[0] != images.shape[0]
            || latents.shape[2] != images.shape[2] || latents.shape[3] != images.shape[3])
            throw new ArgumentException($"fit: latents [N, C, h, w] and images [N, 3, h, w] must agree, got [{string.Join(", ", latents.shape)}] and [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var c = latents.shape[1];
        var z = latents.to_type(ScalarType.Float64).permute(0, 2, 3, 1).reshape(-1, c);               // [M, C]
        var x = cat([z, ones(z.shape[0], 1, dtype: ScalarType.Float64)], 1);                            // [M, C + 1]
        var y = images.to_type(ScalarType.Float64).permute(0, 2, 3, 1).reshape(-1, 3);                  // [M, 3]
        var w = linalg.solve(x.t().matmul(x), x.t().matmul(y));                                        // [C + 1, 3]
        var rmse = (x.matmul(w) - y).pow(2).mean().sqrt().item<double>();
        var values = w.to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
        var factors = Enumerable.Range(0, (int)c).Select(i => values.AsSpan(i * 3, 3).ToArray()).ToArray();
        return (new LatentPreviewFactors(factors, values.AsSpan((int)c * 3, 3).ToArray(), source), rmse);
    }

    /// <summary>Images [N, 3, H, W] averaged down to the latent grid [N, 3, H / f, W / f] (what a latent pixel covers).</summary>
    public static Tensor AreaDownsample(Tensor images, int factor)
    {
        using var scope = NewDisposeScope();
        return nn.functional.avg_pool2d(images.to_type(ScalarType.Float32), factor, factor).MoveToOuterDisposeScope();
    }

    /// <summary>Reads <c>preview.json</c> from a model folder; null when there is none.</summary>
    public static LatentPreviewFactors? Load(string modelFolder)
    {
        var path = Path.Combine(modelFolder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var factors = root["latent_rgb_factors"]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToArray();
            var bias = root["latent_rgb_bias"]?.AsArray().Select(v => v!.GetValue<float>()).ToArray() ?? [0f, 0f, 0f];
            if (factors.Length == 0 || factors.Any(r => r.Length != 3) || bias.Length != 3)
                throw new InvalidDataException("'latent_rgb_factors' must be C rows of 3 numbers and 'latent_rgb_bias' 3 numbers");
            return new LatentPreviewFactors(factors, bias, root["source"]?.GetValue<string>() ?? path);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Writes <c>preview.json</c> (factors rows per latent channel, bias, source and any notes).</summary>
    public void Save(string modelFolder, IReadOnlyDictionary<string, object>? notes = null)
    {
        static JsonArray Row(IEnumerable<float> v) => new(v.Select(x => (JsonNode)JsonValue.Create(Math.Round((double)x, 6))).ToArray());
        var root = new JsonObject
        {
            ["latent_rgb_factors"] = new JsonArray(Factors.Select(r => (JsonNode)Row(r)).ToArray()),
            ["latent_rgb_bias"] = Row(Bias),
            ["source"] = Source,
        };
        foreach (var (k, v) in notes ?? new Dictionary<string, object>())
            root[k] = JsonSerializer.SerializeToNode(v);
        File.WriteAllText(Path.Combine(modelFolder, FileName), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    public override string ToString() => string.Join("; ", Factors.Select(r => string.Join(" ", r.Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)))));
}
