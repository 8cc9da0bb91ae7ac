using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using UnimoG.Data.Checkpoints;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Mini.Training;

/// <summary>Where a run stands: steps done, training seconds so far, and the options it was started with.</summary>
public sealed record TrainingState
{
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    /// <summary>Process CPU seconds spent in training steps (on a shared machine, wall time overstates the work).</summary>
    [JsonPropertyName("cpu_seconds")] public double CpuSeconds { get; init; }
    /// <summary>The run's options as JSON: a resume with other options is refused.</summary>
    [JsonPropertyName("options")] public string Options { get; init; } = "";
    [JsonPropertyName("log")] public List<Dictionary<string, double>> Log { get; init; } = [];
}

/// <summary>
/// A resumable run's checkpoint, in the one <see cref="CheckpointStore"/> of the run folder
/// (<c>{dir}/checkpoints/step-N/</c>: temporary folder, fsync, manifest with SHA-256, atomic rename; the newest one
/// is kept): <c>model.safetensors</c> (float32 state dict), <c>optimizer.bin</c> (TorchSharp's optimizer state) and
/// <c>state.json</c>. An interruption at any moment leaves a complete checkpoint behind.
/// </summary>
public static class Checkpoint
{
    public const string StateFile = "state.json";
    /// <summary>Where runs started before the checkpoint store kept their one checkpoint; still read, so they resume.</summary>
    private const string LegacyFolder = "checkpoint";

    public static void Save(string dir, nn.Module model, OptimizerHelper optimizer, TrainingState state)
    {
        var store = CheckpointStore.ForRun(dir);
        store.Write(state.Step, folder =>
        {
            using (var scope = torch.NewDisposeScope())
                SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), model.state_dict());
            using (var stream = File.Create(Path.Combine(folder, "optimizer.bin")))
            using (var writer = new BinaryWriter(stream))
                optimizer.save_state_dict(writer);
            File.WriteAllBytes(Path.Combine(folder, StateFile), JsonSerializer.SerializeToUtf8Bytes(state, new JsonSerializerOptions { WriteIndented = true }));
        });
        store.Prune(keepLast: 1);
    }

    /// <summary>The newest intact checkpoint folder of the run in <paramref name="dir"/>; null when there is none.</summary>
    public static string? Newest(string dir, Action<string>? warn = null)
    {
        if (CheckpointStore.ForRun(dir, warn).NewestValid() is { } newest) return newest.Path;
        var legacy = Path.Combine(dir, LegacyFolder);
        return File.Exists(Path.Combine(legacy, StateFile)) ? legacy : null;
    }

    /// <summary>The <c>state.json</c> (steps, seconds, log) of the run's newest checkpoint; null when there is none.</summary>
    public static string? StatePath(string dir) => Newest(dir) is { } folder ? Path.Combine(folder, StateFile) : null;

    /// <summary>Restores model and optimizer from the newest intact checkpoint in <paramref name="dir"/>; null when there is none.</summary>
    public static TrainingState? TryLoad(string dir, nn.Module model, OptimizerHelper optimizer, string options, Action<string>? warn = null)
    {
        var folder = Newest(dir, warn);
        if (folder is null) return null;
        var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllBytes(Path.Combine(folder, StateFile)))
            ?? throw new InvalidDataException($"{folder}/{StateFile} is empty");
        if (state.Options != options)
            throw new InvalidDataException($"{folder} was made with other options ({state.Options}); this run has {options}: use another --out or the same options");
        model.LoadStrict(TensorSource.FromFile(Path.Combine(folder, "model.safetensors")));
        using (var stream = File.OpenRead(Path.Combine(folder, "optimizer.bin")))
        using (var reader = new BinaryReader(stream))
            optimizer.load_state_dict(reader);
        return state;
    }
}
