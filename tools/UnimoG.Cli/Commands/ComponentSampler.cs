using System.CommandLine;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog component sampler</c>: a whole sampling loop of the scheduler a diffusers <c>scheduler_config.json</c>
/// names, over recorded model outputs (<see cref="SchedulerReplay"/>; the format of
/// <c>../shared/fixtures/diffusers-samplers-a</c>).
/// </summary>
internal static class ComponentSampler
{
    public static Command Create()
    {
        var scheduler = new Option<string>("--scheduler") { Description = "Folder with scheduler_config.json (its _class_name picks the scheduler), or a pipeline folder with scheduler/", Required = true };
        var steps = new Option<int>("--num-inference-steps") { Description = "N for set_timesteps(N)", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "safetensors file: initial_noise [B, ...], model_outputs [N, B, ...], optional step_noise [N', B, ...]", Required = true };
        var output = new Option<string>("--output") { Description = "safetensors file to write", Required = true };
        var command = new Command("sampler", $"A sampling loop over recorded model outputs ({string.Join(", ", SchedulerFiles.Classes)}): timesteps, sigmas, init_noise_sigma, scaled_model_inputs, prev_samples, pred_original_samples.")
        {
            scheduler, steps, inputs, output,
        };
        command.SetAction(r => Run(r.GetValue(scheduler)!, r.GetValue(steps), r.GetValue(inputs)!, r.GetValue(output)!));
        return command;
    }

    public static int Run(string schedulerPath, int numInferenceSteps, string inputsPath, string outputPath)
    {
        var sampler = SchedulerFiles.Load(schedulerPath);
        if (numInferenceSteps < 1 || numInferenceSteps > 1000)
            throw new UsageException($"--num-inference-steps must be in [1, 1000], got {numInferenceSteps}");
        var io = ComponentInputs.Open(inputsPath);
        using var scope = NewDisposeScope();
        var noise = io.Float("initial_noise", [.. Enumerable.Repeat("*", io.Rank("initial_noise"))]);
        if (noise.dim() < 1) throw new UsageException($"{inputsPath}: tensor 'initial_noise' must be [B, ...], got a scalar");
        long[] row = noise.shape;
        var modelOutputs = io.Float("model_outputs", ["N", .. row.Select(d => $"{d}")]);
        var stepNoise = io.Has("step_noise") ? io.Float("step_noise", ["N'", .. row.Select(d => $"{d}")]) : null;
        var outputs = SchedulerReplay.Run(sampler, numInferenceSteps, noise, modelOutputs, stepNoise);
        SafetensorsWriter.Save(outputPath, outputs);
        Console.WriteLine($"sampler: {sampler.Name}, {numInferenceSteps} steps -> {outputPath}: "
            + string.Join(", ", outputs.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value.dtype} {ComponentInputs.Shape(o.Value.shape)}")));
        return 0;
    }
}
