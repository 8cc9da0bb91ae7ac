using System.CommandLine;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog component ddim-step</c>: one DDIM step per row. Inputs <c>sample</c> [S, ...], <c>model_output</c>
/// [S, ...] (floating) and <c>timestep</c> [S] (integer), optional <c>variance_noise</c> [S, ...] with --eta &gt; 0;
/// each row is stepped on its own after SetTimesteps(N). Outputs <c>prev_sample</c>,
/// <c>pred_original_sample</c> and the schedule <c>timesteps</c>.
/// </summary>
internal static class ComponentDdimStep
{
    public static Command Create()
    {
        var scheduler = new Option<string>("--scheduler") { Description = "Folder with scheduler_config.json, or a pipeline folder with scheduler/", Required = true };
        var steps = new Option<int>("--num-inference-steps") { Description = "N for SetTimesteps(N)", Required = true };
        var inputs = new Option<string>("--inputs") { Description = "safetensors file: sample, model_output, timestep [, variance_noise]", Required = true };
        var output = new Option<string>("--output") { Description = "safetensors file to write", Required = true };
        var eta = new Option<double>("--eta") { Description = "DDIM eta (needs a variance_noise tensor when > 0)", DefaultValueFactory = _ => 0.0 };
        var command = new Command("ddim-step", "One DDIM step per row (diffusers DDIMScheduler.step), rows stepped independently.")
        {
            scheduler, steps, inputs, output, eta,
        };
        command.SetAction(r => Run(r.GetValue(scheduler)!, r.GetValue(steps), r.GetValue(inputs)!, r.GetValue(output)!, r.GetValue(eta)));
        return command;
    }

    public static int Run(string schedulerPath, int numInferenceSteps, string inputsPath, string outputPath, double eta = 0)
    {
        var ddim = DdimScheduler.Load(schedulerPath);
        var train = ddim.Config.NumTrainTimesteps;
        if (numInferenceSteps < 1 || numInferenceSteps > train)
            throw new UsageException($"--num-inference-steps must be in [1, {train}] (num_train_timesteps), got {numInferenceSteps}");
        if (eta < 0) throw new UsageException($"--eta must be >= 0, got {eta}");

        var io = ComponentInputs.Open(inputsPath);
        using var scope = NewDisposeScope();
        var sample = io.Float("sample", [.. Enumerable.Repeat("*", io.Rank("sample"))]);
        if (sample.dim() < 1) throw new UsageException($"{inputsPath}: tensor 'sample' must be [S, ...], got a scalar");
        var rows = sample.shape[0];
        var modelOutput = io.Float("model_output", [.. Enumerable.Repeat("*", io.Rank("model_output"))]);
        if (!modelOutput.shape.SequenceEqual(sample.shape))
            throw new UsageException($"{inputsPath}: tensor 'model_output' has shape {Shape(modelOutput)}, expected {Shape(sample)} like 'sample'");
        var timestep = io.Ids("timestep", long.MaxValue, [.. Enumerable.Repeat("S", io.Rank("timestep"))]);
        if (timestep.dim() != 1 || timestep.shape[0] != rows)
            throw new UsageException($"{inputsPath}: tensor 'timestep' has shape {Shape(timestep)}, expected [{rows}]");
        var ts = timestep.data<long>().ToArray();
        for (var i = 0; i < ts.Length; i++)
            if (ts[i] < 0 || ts[i] >= train)
                throw new UsageException($"{inputsPath}: tensor 'timestep' [{i}] = {ts[i]} is outside [0, {train})");
        Tensor? noise = null;
        if (eta > 0)
        {
            if (!io.Has("variance_noise"))
                throw new UsageException($"{inputsPath}: --eta {eta} needs a tensor named 'variance_noise' shaped like 'sample'");
            noise = io.Float("variance_noise", [.. Enumerable.Repeat("*", io.Rank("variance_noise"))]);
            if (!noise.shape.SequenceEqual(sample.shape))
                throw new UsageException($"{inputsPath}: tensor 'variance_noise' has shape {Shape(noise)}, expected {Shape(sample)} like 'sample'");
        }

        ddim.SetTimesteps(numInferenceSteps);
        var segments = ts.Select((t, i) => new DdimSegment(1, t, numInferenceSteps, eta, VarianceNoise: noise?[i..(i + 1)])).ToArray();
        using var result = ddim.Step(modelOutput, sample, segments);
        var schedule = tensor(ddim.Timesteps.ToArray());
        SafetensorsWriter.Save(outputPath, new Dictionary<string, Tensor>
        {
            ["prev_sample"] = result.PrevSample,
            ["pred_original_sample"] = result.PredOriginalSample,
            ["timesteps"] = schedule,
        });
        Console.WriteLine($"ddim-step: {rows} rows, {numInferenceSteps} inference steps -> {outputPath}");
        return 0;
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
}
