using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

public sealed partial class Trainer
{
    public const string WeightsFile = "diffusion_pytorch_model.safetensors";

    /// <summary>
    /// Writes a checkpoint of the current step: <c>unet/</c> and <c>unet_ema/</c> (diffusers layout), the AdamW moments
    /// (<c>optimizer.safetensors</c>), the generator state (<c>random_states.safetensors</c>), and
    /// <c>trainer_state.json</c> (step, phase, epoch, batch, shuffle seed, EMA step, config hash); then prunes to keep_last.
    /// </summary>
    /// <remarks>
    /// Under data parallelism every rank calls it at the same step: after a barrier the ZeRO-1 moment shards and the
    /// ranks' generator states are gathered to rank 0, which alone writes the folder (atomically, as always); a second
    /// barrier keeps every rank until the checkpoint is complete, so a job that ends later has it whole.
    /// </remarks>
    public string SaveCheckpoint()
    {
        Progress.Publish(Event(RunState.Checkpointing, "checkpointing"));
        _parallel?.World.Barrier("every rank at the checkpoint", _parallel.CheckpointTimeout);
        var (moments, adamStep, owned) = Moments();
        var (generators, randomMeta) = GeneratorStates();
        if (!IsRoot)
        {
            foreach (var t in owned.Concat(generators.Select(g => g.Value))) t.Dispose();
            _parallel!.World.Barrier("checkpoint written by rank 0", _parallel.CheckpointTimeout);
            return CheckpointPath;
        }
        var path = _store.Write(Step, dir =>
        {
            SaveUNet(_c.UNet, Path.Combine(dir, "unet"));
            if (_ema is not null) SaveUNet(_ema.Model, Path.Combine(dir, "unet_ema"));
            SafetensorsWriter.Save(Path.Combine(dir, "optimizer.safetensors"), moments,
                new Dictionary<string, string> { ["format"] = "pt", ["step"] = adamStep.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            if (randomMeta is null) SafetensorsWriter.Save(Path.Combine(dir, "random_states.safetensors"), generators);
            else SafetensorsWriter.Save(Path.Combine(dir, "random_states.safetensors"), generators, randomMeta);
            var trainerState = new JsonObject
            {
                ["format"] = "unimog-trainer-state/1",
                ["step"] = Step,
                ["phase"] = Phase,
                ["epoch"] = Epoch,
                ["batch_in_epoch"] = BatchInEpoch,
                ["shuffle_seed"] = _config.Seed,
                ["ema_optimization_step"] = _ema?.OptimizationStep,
                ["config_hash"] = _config.Hash(),
                ["torch_threads"] = torch.get_num_threads(),
                ["world_size"] = Ranks,
            };
            File.WriteAllText(Path.Combine(dir, "trainer_state.json"), trainerState.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        });
        foreach (var t in owned.Concat(generators.Select(g => g.Value))) t.Dispose();
        _store.Prune(_config.Checkpoints.KeepLast);
        _log.LogInformation("Checkpoint {Checkpoint} written (step {Step})", path, Step);
        _parallel?.World.Barrier("checkpoint written by rank 0", _parallel.CheckpointTimeout);
        return path;
    }

    public static void SaveUNet(UNet2DConditionModel unet, string dir)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), ConfigJson.Write(unet.Config));
        SafetensorsWriter.Save(Path.Combine(dir, WeightsFile), unet.state_dict());
    }

    /// <summary>Restores everything <see cref="SaveCheckpoint"/> wrote.</summary>
    public void Load(string dir)
    {
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "trainer_state.json")))!.AsObject();
        var hash = (string?)state["config_hash"];
        if (hash != _config.Hash())
            _log.LogWarning("Checkpoint {Checkpoint} was written under a different configuration (hash {Old}, now {New}); continuing with the current one", dir, hash, _config.Hash());
        if ((long?)state["shuffle_seed"] != _config.Seed)
            _log.LogWarning("The checkpoint's shuffle seed {Old} differs from the configured seed {New}: the data order changes", (long?)state["shuffle_seed"], _config.Seed);
        if ((int?)state["torch_threads"] is { } t && t != torch.get_num_threads())
            _log.LogWarning("The checkpoint was written with {Old} torch threads, this run uses {New}: results are not bit-identical across thread counts", t, torch.get_num_threads());
        using (no_grad())
        {
            _c.UNet.LoadStrict(TensorSource.FromFile(Path.Combine(dir, "unet", WeightsFile)));
            if (_ema is not null)
            {
                var emaDir = Path.Combine(dir, "unet_ema");
                _ema.Model.LoadStrict(TensorSource.FromFile(Path.Combine(Directory.Exists(emaDir) ? emaDir : Path.Combine(dir, "unet"), WeightsFile)));
                _ema.OptimizationStep = (long?)state["ema_optimization_step"] ?? (long)state["step"]!;
            }
            LoadMoments(SafetensorsFile.Open(Path.Combine(dir, "optimizer.safetensors")));
            _parallel?.Zero?.TakeWeights();
        }
        Step = (long)state["step"]!;
        LoadGenerator(SafetensorsFile.Open(Path.Combine(dir, "random_states.safetensors")));
        Phase = (int)state["phase"]!;
        Epoch = (int)state["epoch"]!;
        BatchInEpoch = (int)state["batch_in_epoch"]!;
    }

    /// <summary>The final weights (the EMA's when enabled) as a diffusers <c>unet/</c> folder under the output folder.</summary>
    private string Export()
    {
        var dir = Path.Combine(_config.OutputDir, "unet");
        SaveUNet(_ema?.Model ?? _c.UNet, dir);
        _log.LogInformation("Exported the {Which} U-Net weights to {Dir}", _ema is not null ? "EMA" : "trained", dir);
        return dir;
    }
}
