using UnimoG.Data.Checkpoints;
using UnimoG.Data.Config;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>generate --model</c> with a training run's output folder or one of its checkpoints: the run's U-Net with the base
/// model's VAE, encoder and scheduler, exactly as a model folder holding that U-Net would generate.
/// </summary>
public class GenerateFromRunTests
{
    [Fact]
    public void A_run_folder_or_checkpoint_generates_like_a_model_folder_with_its_UNet()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-generate-run").FullName;
        var mini = Path.Combine(RepoPaths.Root, "models", "unimog-mini");
        // Weights no model folder holds: a fresh initialisation of the mini U-Net's architecture.
        using var unet = new UNet2DConditionModel(ConfigJson.Read<UNet2DConditionConfig>(Path.Combine(mini, "unet", "config.json")));
        WeightInit.Reset(unet, 11);
        var run = Path.Combine(dir, "run");
        var checkpoint = CheckpointStore.ForRun(run).Write(7, d =>
        {
            UnimoG.Engines.Trainer.Training.Trainer.SaveUNet(unet, Path.Combine(d, "unet_ema"));
            File.WriteAllText(Path.Combine(d, "trainer_state.json"), "{}");
        });
        // The independent way: a copy of the base model with these weights as its unet/.
        var folder = Path.Combine(dir, "model");
        Copy(mini, folder);
        Directory.Delete(Path.Combine(folder, "unet"), recursive: true);
        UnimoG.Engines.Trainer.Training.Trainer.SaveUNet(unet, Path.Combine(folder, "unet"));

        byte[] Generate(params string[] model)
        {
            var output = Path.Combine(dir, $"{Guid.NewGuid():N}.png");
            var (code, _, error) = Unimog.Run(["generate", "a dog wearing a top hat", "--steps", "3", "--seed", "1", "--out", output, .. model]);
            Assert.True(code == 0, error);
            return File.ReadAllBytes(output);
        }
        var expected = Generate("--model", folder);
        Assert.Equal(expected, Generate("--model", run));
        Assert.Equal(expected, Generate("--model", checkpoint, "--base-model", mini));
        Assert.NotEqual(expected, Generate("--model", mini));

        var misuse = Unimog.Run("generate", "x", "--model", mini, "--base-model", mini);
        Assert.Equal(2, misuse.ExitCode);
        Assert.Contains("--base-model goes with --model RUN_FOLDER or CHECKPOINT", misuse.Error);
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from)) Copy(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
