using UnimoG.Data.Config;
using System.Text.Json.Nodes;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Pipelines;
using UnimoG.Modeling.Sampling;
using static TorchSharp.torch;

namespace UnimoG.Services.Tests;

/// <summary>Linear latent previews: the least-squares fit, the projection, and where factors come from.</summary>
public sealed class PreviewTests
{
    [Fact]
    public void Fit_recovers_a_known_linear_map_exactly()
    {
        // rgb = z M + b exactly (closed form): least squares must give M and b back.
        float[,] m = { { 0.3f, -0.2f, 0.1f }, { 0.5f, 0.25f, -0.4f }, { -0.1f, 0.6f, 0.2f }, { 0.05f, -0.3f, 0.7f } };
        float[] b = [0.1f, -0.05f, 0.2f];
        var g = new Generator(3);
        using var z = randn([6, 4, 8, 8], generator: g);
        using var mt = tensor(m.Cast<float>().ToArray(), [4, 3]);
        using var bt = tensor(b, [1, 3, 1, 1]);
        using var rgb = einsum("nchw,cd->ndhw", z, mt) + bt;
        var fit = UnimoG.Modeling.Pipelines.PreviewFitting.Fit(z, rgb, "test");
        Assert.True(fit.FitRmse < 1e-6, $"rmse {fit.FitRmse}");
        for (var c = 0; c < 4; c++)
            for (var d = 0; d < 3; d++)
                Assert.Equal(m[c, d], fit.Factors[c][d], 5);
        Assert.Equal(b.Select(v => Math.Round(v, 5)), fit.Bias.Select(v => Math.Round(v, 5)));
    }

    [Fact]
    public void Projection_is_the_matrix_product_per_pixel()
    {
        var f = LatentPreviewFactors.StableDiffusion15;
        using var z = tensor(new float[] { 1, 2, 3, 4 }, [1, 4, 1, 1]);
        using var rgb = f.Project(z);
        // R = 0.3512 + 2 * 0.3250 + 3 * -0.2829 + 4 * -0.2120 (ComfyUI's SD 1.5 factors)
        Assert.Equal(0.3512f + 2 * 0.3250f + 3 * -0.2829f + 4 * -0.2120f, rgb[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(0.3227f + 2 * 0.2350f + 3 * 0.2721f + 4 * -0.7177f, rgb[0, 2, 0, 0].item<float>(), 5);
        var pngs = f.Pngs(zeros(2, 4, 3, 5));
        Assert.Equal(2, pngs.Count);
    }

    [Fact]
    public void Stable_Diffusion_folders_get_the_public_factors_and_own_files_win()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-sd-like").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "unet"));
        Directory.CreateDirectory(Path.Combine(dir, "vae"));
        Directory.CreateDirectory(Path.Combine(dir, "scheduler"));
        Directory.CreateDirectory(Path.Combine(dir, "text_encoder"));
        File.WriteAllText(Path.Combine(dir, "model_index.json"), ModelFolder.ModelIndexJson(EncoderKind.ClipText));
        File.WriteAllText(Path.Combine(dir, "unet", "config.json"), DiffusionConfigs.Sd15UNetJson);
        File.WriteAllText(Path.Combine(dir, "vae", "config.json"), DiffusionConfigs.Sd15VaeJson);
        File.WriteAllText(Path.Combine(dir, "scheduler", "scheduler_config.json"), DiffusionConfigs.Sd15SchedulerJson);
        var folder = ModelFolder.Open(dir);
        Assert.Same(LatentPreviewFactors.StableDiffusion15, folder.Preview);
        Assert.Equal((EncoderKind.ClipText, 8, 512, 768, 0), (folder.Encoder, folder.VaeScaleFactor, folder.DefaultWidth, folder.CrossAttentionDim, folder.MaxPromptImages));

        new UnimoG.Data.Previews.PreviewFile { Factors = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]], Bias = [0.5, 0, 0], Source = "mine" }.Save(dir);
        var own = ModelFolder.Open(dir).Preview!;
        Assert.Equal(("mine", 0.5f), (own.Source, own.Bias[0]));
        File.WriteAllText(Path.Combine(dir, "preview.json"), new JsonObject { ["latent_rgb_factors"] = new JsonArray(new JsonArray(1, 2)) }.ToJsonString());
        var e = Assert.Throws<ModelFolderException>(() => ModelFolder.Open(dir));
        Assert.Contains("preview.json", e.Message);
    }
}
