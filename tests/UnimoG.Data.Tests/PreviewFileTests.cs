using UnimoG.Data.Previews;
using UnimoG.TestSupport;

namespace UnimoG.Data.Tests;

public sealed class PreviewFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unimog-preview-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Saving_and_loading_is_exact_in_double()
    {
        var file = new PreviewFile
        {
            Factors = [[0.1, 1.0 / 3, -2e-7], [Math.PI, 0, -1]], Bias = [0.5, -0.25, 1e-300], Source = "test, «ü»", FitRmse = 0.125, Images = 64,
        };
        file.Save(_dir);
        var back = PreviewFile.Load(_dir)!;
        Assert.Equal(file.Factors.SelectMany(r => r), back.Factors.SelectMany(r => r));
        Assert.Equal(file.Bias, back.Bias);
        Assert.Equal((file.Source, file.FitRmse, file.Images, 2), (back.Source, back.FitRmse, back.Images, back.LatentChannels));
        Assert.Contains("«ü»", File.ReadAllText(Path.Combine(_dir, PreviewFile.FileName)));
    }

    [Fact]
    public void The_shipped_model_preview_reads()
    {
        var file = PreviewFile.Load(Path.Combine(RepoPaths.Root, "models", "unimog-mini"))!;
        Assert.Equal(4, file.LatentChannels);
        Assert.Equal(0.5936363355575884, file.Factors[0][0]);
        Assert.Equal(0.19289995452563194, file.FitRmse);
        Assert.Null(file.Source);
    }

    [Fact]
    public void A_missing_file_is_null_and_a_bad_one_names_its_path()
    {
        Assert.Null(PreviewFile.Load(_dir));
        File.WriteAllText(Path.Combine(_dir, PreviewFile.FileName), """{"latent_rgb_factors": [[1, 2]]}""");
        var e = Assert.Throws<InvalidDataException>(() => PreviewFile.Load(_dir));
        Assert.Contains(PreviewFile.FileName, e.Message);
        Assert.Contains("3 numbers", e.Message);
    }
}
