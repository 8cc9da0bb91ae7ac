using UnimoG.EmojiWorld;
using UnimoG.EmojiWorld.Tests;
using UnimoG.Imaging;
using UnimoG.Mini.Bench;
using UnimoG.Mini.Evaluators;
using UnimoG.Mini.Tests.Support;
using UnimoG.Modeling.Pipelines;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Mini.Tests;

/// <summary>The whole benchmark on the untrained mini placeholder (init-mini), tiny random evaluators and synthetic art.</summary>
public class EmojiBenchRunTests
{
    /// <summary>Random evaluators of the real interface, tiny (a few thousand parameters), saved as a folder.</summary>
    internal static string TinyEvaluators(string folder)
    {
        var tokenizerFile = Path.Combine(RepoPaths.Root, "tests", "data", "mini-tokenizer", "tokenizer.model");
        var labels = EmojiCatalog.Default.Entities.Select(e => e.Hex).ToArray();
        var image = new ConvEncoderConfig { Channels = [8, 8], EmbedDim = 16, NormGroups = 4 };
        var text = new TextEncoderConfig { HiddenSize = 16, Heads = 2, IntermediateSize = 32, Layers = 1, EmbedDim = 16 };
        var manifest = new EvaluatorManifest { Dino = image, ClipImage = image, ClipText = text, Classifier = image with { EmbedDim = labels.Length }, Labels = labels };
        using var set = new EvaluatorSet(manifest, new ConvEncoder(image), new ClipEvaluator(image, text), new ConvEncoder(manifest.Classifier), TextTokenizers.LoadLlama(tokenizerFile));
        set.Save(folder, tokenizerFile);
        return folder;
    }

    [Fact]
    public async Task A_tiny_run_scores_every_subset_with_finite_numbers_in_range()
    {
        using var temp = new TempFolder();
        using var art = new SyntheticArt();
        PlaceholderModel.Create(temp["model"], seed: 7);
        var options = new EmojiBenchOptions
        {
            ModelDir = temp["model"], EvaluatorsDir = TinyEvaluators(temp["evaluators"]), ArtDir = art.Folder,
            TokenizerPath = Path.Combine(RepoPaths.Shared, "tokenizers", "llama2", "tokenizer.model"),
            ImagesPerPrompt = 2, Steps = 2, Limit = 1, Threads = 1, ImagesDir = temp["images"], Resamples = 50,
        };
        var lines = new List<string>();
        var report = await EmojiBench.RunAsync(options, lines.Add, CancellationToken.None);

        Assert.True(report.ModelUntrained);
        Assert.Contains(lines, l => l.Contains("UNTRAINED"));
        Assert.Equal([EmojiBenchSubset.Seen, EmojiBenchSubset.HeldOut, EmojiBenchSubset.Text], report.Rows.Select(r => r.Subset));
        Assert.Equal(6, report.ReferenceRows.Count);
        Assert.Equal(3, report.ReferenceRows.Count(r => r.Source == EmojiBenchCalibration.Oracle));
        foreach (var row in report.Rows.Concat(report.ReferenceRows))
        {
            Assert.Equal((1, 2), (row.Prompts, row.Images));
            var m = row.Metrics;
            foreach (var i in new[] { m.Dino, m.ClipI, m.ClipT })
            {
                Assert.NotNull(i);
                Assert.True(double.IsFinite(i!.Mean) && i.Low <= i.Mean && i.Mean <= i.High, $"{row.Source} {row.Subset}: {i}");
                Assert.InRange(i.Mean, -1.0001, 1.0001);
            }
            Assert.InRange(m.Recognition.Mean, 0, 1);
        }
        Assert.Equal(3, report.Prompts.Count);
        foreach (var p in report.Prompts)
        {
            Assert.Equal(2, p.Images.Count);
            Assert.Equal(p.Subset == EmojiBenchSubset.Text, !p.Prompt.Contains("<img1>"));
            foreach (var image in p.Images)
            {
                var decoded = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(temp["images"], image.File!)));
                Assert.Equal((64, 64), (decoded.Width, decoded.Height));
                Assert.Equal(EmojiBench.PromptSeed(0, p.Subset, p.Index), image.Seed);
            }
        }
        // The two images of a prompt are different draws.
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(temp["images"], report.Prompts[0].Images[0].File!)),
            File.ReadAllBytes(Path.Combine(temp["images"], report.Prompts[0].Images[1].File!)));
        report.WriteJson(temp["report.json"]);
        Assert.Equal(report.ToMarkdownTable(), EmojiBenchReport.ReadJson(temp["report.json"]).ToMarkdownTable());
    }

    [Fact]
    public async Task Mistakes_are_named_before_any_work()
    {
        using var temp = new TempFolder();
        var missing = new EmojiBenchOptions { ModelDir = temp["no-model"] };
        Assert.Contains("no-model", (await Assert.ThrowsAsync<DirectoryNotFoundException>(() => EmojiBench.RunAsync(missing, _ => { }, default))).Message);
        Directory.CreateDirectory(temp["model"]);
        var noImages = new EmojiBenchOptions { ModelDir = temp["model"], ImagesPerPrompt = 0 };
        Assert.Contains("ImagesPerPrompt", (await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => EmojiBench.RunAsync(noImages, _ => { }, default))).Message);
        var noEvaluators = new EmojiBenchOptions { ModelDir = temp["model"], EvaluatorsDir = temp["model"] };
        Assert.Contains("evaluators.json", (await Assert.ThrowsAsync<FileNotFoundException>(() => EmojiBench.RunAsync(noEvaluators, _ => { }, default))).Message);
    }

    [Fact]
    public void Oracle_scenes_show_the_prompts_entities_and_random_scenes_come_from_the_split()
    {
        using var synthetic = new SyntheticArt();
        using var art = synthetic.Open();
        var prompts = EmojiBenchPrompts.Generate(EmojiCatalog.Default, EmojiBenchSubset.HeldOut, 5);
        var sources = EmojiBenchCalibration.Scenes(art, EmojiCatalog.Default, EmojiBenchSubset.HeldOut, prompts, 2, EmojiBenchPrompts.DefaultSeed).ToList();
        Assert.Equal([EmojiBenchCalibration.Oracle, EmojiBenchCalibration.Random], sources.Select(s => s.Source));
        for (var i = 0; i < prompts.Count; i++)
        {
            // Synthetic sprites are flat, one colour per emoji: each entity's colour appears in its oracle scene.
            foreach (var scene in sources[0].Scenes[i])
            {
                Assert.Equal(64 * 64 * 3, scene.Length);
                foreach (var e in prompts[i].Entities)
                    Assert.True(HasColour(scene, SyntheticArt.ColourOf(e.Hex)), $"{e} missing from the oracle scene of '{prompts[i].Text}'");
            }
            Assert.All(sources[1].Scenes[i], s => Assert.Equal(64 * 64 * 3, s.Length));
        }
        // Deterministic.
        var again = EmojiBenchCalibration.Scenes(art, EmojiCatalog.Default, EmojiBenchSubset.HeldOut, prompts, 2, EmojiBenchPrompts.DefaultSeed).ToList();
        Assert.Equal(sources[0].Scenes[3][1], again[0].Scenes[3][1]);
        Assert.Equal(sources[1].Scenes[2][0], again[1].Scenes[2][0]);
    }

    private static bool HasColour(byte[] rgb, (byte R, byte G, byte B) c)
    {
        for (var i = 0; i < rgb.Length; i += 3)
            if (rgb[i] == c.R && rgb[i + 1] == c.G && rgb[i + 2] == c.B) return true;
        return false;
    }
}
