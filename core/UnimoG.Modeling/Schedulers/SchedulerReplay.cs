using static TorchSharp.torch;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// diffusers' sampling loop with recorded model outputs instead of a model: x = noise * init_noise_sigma; for each
/// step record scale_model_input(x), then x = step(model_outputs[i], x). What <c>unimog component sampler</c> runs, the
/// format of <c>../shared/fixtures/diffusers-samplers-a</c>: it tests a scheduler, not a model.
/// </summary>
public static class SchedulerReplay
{
    /// <summary>
    /// Runs <paramref name="steps"/> steps from <paramref name="initialNoise"/> [B, ...] with <paramref name="modelOutputs"/>
    /// [N, B, ...]; stochastic steps take <paramref name="stepNoise"/> [N', B, ...] in order. Returns the outputs by
    /// their diffusers names (timesteps, sigmas, init_noise_sigma, scaled_model_inputs, prev_samples,
    /// pred_original_samples).
    /// </summary>
    public static Dictionary<string, Tensor> Run(INoiseScheduler scheduler, int steps, Tensor initialNoise, Tensor modelOutputs, Tensor? stepNoise)
    {
        var drawn = 0;
        NoiseSource? noise = stepNoise is null ? null : shape =>
        {
            if (drawn >= stepNoise.shape[0])
                throw new InvalidDataException($"the sampler asked for noise {drawn + 1} times but step_noise holds {stepNoise.shape[0]}");
            var z = stepNoise[drawn++];
            return z.shape.SequenceEqual(shape) ? z.clone()
                : throw new InvalidDataException($"step_noise [{drawn - 1}] is [{string.Join(", ", z.shape)}], the sampler asked for [{string.Join(", ", shape)}]");
        };
        using var run = scheduler.Start(new SamplingSettings(steps), noise);
        if (modelOutputs.shape[0] < run.Count)
            throw new InvalidDataException($"model_outputs holds {modelOutputs.shape[0]} steps; the schedule has {run.Count}");
        var x = initialNoise * run.InitNoiseSigma;
        var scaled = new List<Tensor>();
        var prev = new List<Tensor>();
        var original = new List<Tensor>();
        while (!run.Finished)
        {
            var i = run.StepIndex;
            scaled.Add(run.ScaleModelInput(x).clone());
            using var step = run.Step(modelOutputs[i], x);
            x = step.PrevSample.clone();
            prev.Add(x);
            original.Add(step.PredOriginalSample.clone());
        }
        var outputs = new Dictionary<string, Tensor>
        {
            // Euler's timesteps are float32 in diffusers (fractional with Karras sigmas), the others' int64
            ["timesteps"] = scheduler is EulerScheduler or EulerAncestralScheduler
                ? tensor(run.Timesteps.Select(t => (float)t).ToArray()) : tensor(run.Timesteps.Select(t => (long)t).ToArray()),
            ["init_noise_sigma"] = tensor(new[] { (float)run.InitNoiseSigma }),
            ["scaled_model_inputs"] = stack(scaled),
            ["prev_samples"] = stack(prev),
            ["pred_original_samples"] = stack(original),
        };
        if (run.Sigmas is { } sigmas) outputs["sigmas"] = tensor(sigmas.Select(s => (float)s).ToArray());
        return outputs;
    }
}
