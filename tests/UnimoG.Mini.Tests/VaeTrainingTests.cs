using UnimoG.TestSupport;
using TorchSharp;
using UnimoG.EmojiWorld;
using UnimoG.Mini.Data;
using UnimoG.Mini.Tests.Support;
using UnimoG.Mini.Training;
using UnimoG.Mini.Vae;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.Data.Config;
using UnimoG.Modeling.Images;

namespace UnimoG.Mini.Tests;

public class VaeTrainingTests : IClassFixture<VaeTrainingTests.World>
{
    public sealed class World : IDisposable
    {
        public SyntheticWorld Synthetic { get; } = new();
        public SceneSet Train { get; }
        public SceneSet Bench { get; }

        public World()
        {
            Train = Synthetic.Scenes(Split.Train, 12, DataUse.Generator);
            Bench = Synthetic.Scenes(Split.Bench, 4, DataUse.Evaluation);
        }

        public void Dispose() => Synthetic.Dispose();
    }

    /// <summary>A three-level 8-channel VAE (64 -> 16 pixels): a few thousand parameters.</summary>
    private const string TinyVae = """
        {"_class_name": "AutoencoderKL", "block_out_channels": [8, 8, 8], "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
         "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"], "latent_channels": 4, "layers_per_block": 1, "norm_num_groups": 4}
        """;

    private readonly World _world;

    public VaeTrainingTests(World world) => _world = world;

    private static VaeTrainOptions Options(long steps) => new() { Steps = steps, Batch = 4, Config = TinyVae, LearningRate = 3e-3, Seed = 7 };

    private static LoopOptions Loop(long steps) => new() { Steps = steps, LogEvery = 5, CheckpointMinutes = 60 };

    [Fact]
    public void Training_reduces_the_loss_and_writes_a_loadable_diffusers_folder()
    {
        using var temp = new TempFolder();
        // Two scenes, whole (no crops): the same images again and again, which a VAE learns quickly.
        var two = new SceneSet(_world.Train.Scenes.Take(2).ToList(), "train", DataUse.Generator);
        var report = VaeTrainer.Train(two, _world.Bench, temp.Path, Options(40) with { CropSize = 64 }, Loop(40), _ => { });
        var log = System.Text.Json.JsonDocument.Parse(File.ReadAllText(temp["metrics.json"])).RootElement.GetProperty("log").EnumerateArray()
            .Select(e => e.GetProperty("loss").GetDouble()).ToList();
        Assert.True(log[^1] < 0.7 * log[0], $"loss went from {log[0]:0.000} to {log[^1]:0.000}");

        using var vae = AutoencoderKL.FromPretrained(Path.Combine(temp.Path, "vae"));
        Assert.Equal(report.ScalingFactor, vae.Config.ScalingFactor, 12);
        Assert.All(TensorSource.ForComponent(Path.Combine(temp.Path, "vae")).Names, n => Assert.Equal("F16", TensorSource.ForComponent(Path.Combine(temp.Path, "vae")).Entry(n).DType));
        var preview = UnimoG.Data.Previews.PreviewFile.Load(temp.Path)!;
        Assert.Equal(4, preview.Factors.Length);
        Assert.All(preview.Factors, f => Assert.Equal(3, f.Length));
        Assert.Equal(report.PreviewRmse, preview.FitRmse);
        Assert.InRange(report.PsnrBench, 5, 60);
    }

    [Fact]
    public void The_scaling_factor_is_one_over_the_std_of_posterior_samples()
    {
        using var vae = new AutoencoderKL(ConfigJson.Parse<Modeling.Configs.AutoencoderKLConfig>(TinyVae, "tiny"));
        using var _ = torch.no_grad();
        var scaling = VaeTrainer.ScalingFactor(vae, _world.Train, 8, seed: 3);
        using var posterior = vae.Encode(PixelRange.ToSigned(Images.ToUint8(_world.Train.Scenes.Take(8).Select(s => s.Rgb).ToList())));
        // Same generator stream as the trainer's: the one of (seed 3, "vae-scale", 0).
        using var z = posterior.Sample(StepRandom.Torch(3, "vae-scale", 0));
        Assert.Equal(1.0 / z.std().item<float>(), scaling, 5);
    }

    [Fact]
    public void An_interrupted_run_resumes_to_the_same_weights_as_an_uninterrupted_one()
    {
        using var straight = new TempFolder();
        using var resumed = new TempFolder();
        VaeTrainer.Train(_world.Train, _world.Bench, straight.Path, Options(20), Loop(20), _ => { });

        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => VaeTrainer.Train(_world.Train, _world.Bench, resumed.Path, Options(20), Loop(20),
            line => { if (line.StartsWith("step 10/", StringComparison.Ordinal)) cancel.Cancel(); }, cancel.Token));
        Assert.False(File.Exists(resumed["vae/config.json"]));
        var lines = new List<string>();
        VaeTrainer.Train(_world.Train, _world.Bench, resumed.Path, Options(20), Loop(20), lines.Add);
        Assert.Contains(lines, l => l.StartsWith("resumed at step 10", StringComparison.Ordinal));

        // Both runs end with one intact checkpoint of step 20 in the run's checkpoint store (older ones pruned).
        Assert.Equal(straight["checkpoints/step-00000020"], Checkpoint.Newest(straight.Path));
        Assert.Single(Directory.GetDirectories(resumed["checkpoints"]));
        var a = SafetensorsFile.Open(Path.Combine(Checkpoint.Newest(straight.Path)!, "model.safetensors"));
        var b = SafetensorsFile.Open(Path.Combine(Checkpoint.Newest(resumed.Path)!, "model.safetensors"));
        Assert.Equal(a.Entries.Keys.Order(), b.Entries.Keys.Order());
        foreach (var name in a.Entries.Keys)
        {
            using var x = a.Read(name);
            using var y = b.Read(name);
            TensorAssert.Identical(x, y, $"{name} after resuming");
        }
    }

    [Fact]
    public void A_resume_with_other_options_is_refused()
    {
        using var temp = new TempFolder();
        VaeTrainer.Train(_world.Train, _world.Bench, temp.Path, Options(4), Loop(4), _ => { });
        var e = Assert.Throws<InvalidDataException>(() => VaeTrainer.Train(_world.Train, _world.Bench, temp.Path, Options(4) with { KlWeight = 1 }, Loop(4), _ => { }));
        Assert.Contains("other options", e.Message);
    }
}
