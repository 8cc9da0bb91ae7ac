using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Mini.Vae;

/// <summary>
/// The linear latent-to-RGB preview (ComfyUI's <c>latent_rgb_factors</c>): rgb = latent · factors + bias per latent
/// pixel, latent = the scaled latent the sampler works in (VAE mean × scaling_factor), rgb in [-1, 1] (the decoded
/// image averaged over each latent pixel's 4x4 block). Fitted by least squares; stored as <c>preview.json</c>.
/// </summary>
public sealed record PreviewFactors
{
    public const string FileName = "preview.json";

    /// <summary>[latent channel][r, g, b].</summary>
    [JsonPropertyName("latent_rgb_factors")] public required double[][] Factors { get; init; }
    [JsonPropertyName("latent_rgb_bias")] public required double[] Bias { get; init; }
    [JsonPropertyName("latent_space")] public string LatentSpace { get; init; } = "scaled (vae mean * scaling_factor)";
    [JsonPropertyName("rgb_range")] public double[] RgbRange { get; init; } = [-1, 1];
    /// <summary>Root-mean-square error of the fit on its own data, in the [-1, 1] range.</summary>
    [JsonPropertyName("fit_rmse")] public double FitRmse { get; init; }

    /// <param name="latents">[B, C, h, w] scaled latents</param>
    /// <param name="images">[B, 3, H, W] images in [-1, 1], H = h * f</param>
    public static PreviewFactors Fit(Tensor latents, Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var (b, c, h, w) = (latents.shape[0], latents.shape[1], latents.shape[2], latents.shape[3]);
        var f = images.shape[2] / h;
        var target = nn.functional.avg_pool2d(images.to_type(ScalarType.Float64), f);                  // [B, 3, h, w]
        var x = latents.to_type(ScalarType.Float64).permute(0, 2, 3, 1).reshape(-1, c);                // [N, C]
        var y = target.permute(0, 2, 3, 1).reshape(-1, 3);                                              // [N, 3]
        var a = torch.cat([x, torch.ones(x.shape[0], 1, ScalarType.Float64)], 1);                       // [N, C+1]
        var solution = torch.linalg.solve(a.T.matmul(a), a.T.matmul(y));                               // [C+1, 3]
        var rmse = (a.matmul(solution) - y).pow(2).mean().sqrt().item<double>();
        var s = solution.data<double>().ToArray();
        return new PreviewFactors
        {
            Factors = Enumerable.Range(0, (int)c).Select(i => s.Skip(i * 3).Take(3).ToArray()).ToArray(),
            Bias = s.Skip((int)c * 3).Take(3).ToArray(),
            FitRmse = rmse,
        };
    }

    /// <summary>The preview of scaled latents [B, C, h, w]: [B, 3, h, w] in [-1, 1] (unclamped).</summary>
    public Tensor Apply(Tensor latents)
    {
        using var scope = torch.NewDisposeScope();
        var m = torch.tensor(Factors.SelectMany(r => r).Select(v => (float)v).ToArray()).view(Factors.Length, 3);
        var bias = torch.tensor(Bias.Select(v => (float)v).ToArray()).view(1, 3, 1, 1);
        return (torch.einsum("bchw,cr->brhw", latents.to_type(ScalarType.Float32), m) + bias).MoveToOuterDisposeScope();
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));

    public static PreviewFactors Load(string path) =>
        JsonSerializer.Deserialize<PreviewFactors>(File.ReadAllBytes(path)) ?? throw new InvalidDataException($"{path}: empty preview file");
}
