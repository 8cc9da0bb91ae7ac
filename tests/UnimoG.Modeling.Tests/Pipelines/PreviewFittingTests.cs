using UnimoG.Modeling.Pipelines;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Pipelines;

public class PreviewFittingTests
{
    [Fact]
    public void Least_squares_recovers_exact_linear_factors_from_full_resolution_images()
    {
        // Images whose 4x4 block means are exactly latent * M + bias (closed form): the fit must return M and bias.
        var g = new Generator(1);
        using var latents = randn([3, 4, 5, 5], dtype: ScalarType.Float64, generator: g);
        double[] m = [0.5, -0.2, 0.1, 0.0, 0.3, -0.4, -0.25, 0.1, 0.2, 0.05, 0.05, 0.6];
        double[] bias = [0.1, -0.05, 0.2];
        using var mt = tensor(m, [4, 3]);
        using var small = einsum("bchw,cd->bdhw", latents, mt) + tensor(bias, [1, 3, 1, 1]);     // [3, 3, 5, 5]
        using var images = small.repeat_interleave(4, 2).repeat_interleave(4, 3);               // constant 4x4 blocks
        var fit = PreviewFitting.Fit(latents, images, "closed form");
        for (var c = 0; c < 4; c++)
            for (var k = 0; k < 3; k++) Assert.Equal(m[c * 3 + k], fit.Factors[c][k], 10);
        for (var k = 0; k < 3; k++) Assert.Equal(bias[k], fit.Bias[k], 10);
        Assert.True(fit.FitRmse < 1e-10, $"rmse {fit.FitRmse}");
        Assert.Equal(("closed form", 3L), (fit.Source, fit.Images));
        Assert.Throws<ArgumentException>(() => PreviewFitting.Fit(latents, images.narrow(3, 0, 18), "x"));
    }
}
