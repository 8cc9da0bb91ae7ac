using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
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
/// A resumable run's checkpoint: <c>{dir}/checkpoint/</c> holds <c>model.safetensors</c> (float32 state dict),
/// <c>optimizer.bin</c> (TorchSharp's optimizer state) and <c>state.json</c>. Saving writes <c>checkpoint.tmp/</c> and
/// swaps it in by renames (the previous one is kept as <c>checkpoint.old/</c> until the swap is done), so an
/// interruption at any moment leaves a complete checkpoint behind.
/// </summary>
public static class Checkpoint
{
    private const string Current = "checkpoint", Temporary = "checkpoint.tmp", Previous = "checkpoint.old";

    public static void Save(string dir, nn.Module model, OptimizerHelper optimizer, TrainingState state)
    {
        var tmp = Path.Combine(dir, Temporary);
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        using (var scope = torch.NewDisposeScope())
            SafetensorsWriter.Save(Path.Combine(tmp, "model.safetensors"), model.state_dict());
        using (var stream = File.Create(Path.Combine(tmp, "optimizer.bin")))
        using (var writer = new BinaryWriter(stream))
            optimizer.save_state_dict(writer);
        File.WriteAllBytes(Path.Combine(tmp, "state.json"), JsonSerializer.SerializeToUtf8Bytes(state, new JsonSerializerOptions { WriteIndented = true }));
        var current = Path.Combine(dir, Current);
        var previous = Path.Combine(dir, Previous);
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
        if (Directory.Exists(current)) Directory.Move(current, previous);
        Directory.Move(tmp, current);
        if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
    }

    /// <summary>Restores model and optimizer from the newest complete checkpoint in <paramref name="dir"/>; null when there is none.</summary>
    public static TrainingState? TryLoad(string dir, nn.Module model, OptimizerHelper optimizer, string options)
    {
        var folder = new[] { Current, Previous }.Select(n => Path.Combine(dir, n)).FirstOrDefault(d => File.Exists(Path.Combine(d, "state.json")));
        if (folder is null) return null;
        var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllBytes(Path.Combine(folder, "state.json")))
            ?? throw new InvalidDataException($"{folder}/state.json is empty");
        if (state.Options != options)
            throw new InvalidDataException($"{folder} was made with other options ({state.Options}); this run has {options}: use another --out or the same options");
        model.LoadStrict(TensorSource.FromFile(Path.Combine(folder, "model.safetensors")));
        using (var stream = File.OpenRead(Path.Combine(folder, "optimizer.bin")))
        using (var reader = new BinaryReader(stream))
            optimizer.load_state_dict(reader);
        return state;
    }
}
