using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Sampling;

/// <summary>
/// One request's part of a batched step: its scheduler run, its current latents [n, C, h, w], its condition (n rows)
/// and, for classifier-free guidance, its unconditional or negative condition (n rows) and scale.
/// </summary>
public sealed record GuidedRows(SchedulerRun Run, Tensor Sample, Conditioning Cond, Conditioning? Uncond, double GuidanceScale)
{
    public bool Guided => Uncond is not null && GuidanceScale > 1;
    public long Rows => Sample.shape[0];
}

/// <summary>
/// The one guided denoising step every sampling path calls (the denoiser's dynamic batcher, one-process generation,
/// the trainer's sample images, the benchmarks). Classifier-free guidance as diffusers' pipelines do it: per request
/// [x; x] under [uncond; cond] in ONE model call shared by every request of the batch (each at its own timestep),
/// then eps_uncond + s * (eps_cond - eps_uncond) in float32, then that request's own scheduler step. A request's
/// scheduler arithmetic never sees another request's rows, so a row's step is the same alone or batched.
/// </summary>
public static class GuidedStep
{
    /// <summary>Steps every request once; returns one output per request, in order. Each run advances by one step.</summary>
    public static SchedulerOutput[] Run(DiffusionModel model, IReadOnlyList<GuidedRows> requests)
    {
        using var scope = NewDisposeScope();
        var predictions = Predict(model, requests);
        var results = new SchedulerOutput[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            var step = requests[i].Run.Step(predictions[i], requests[i].Sample);
            step.PrevSample.MoveToOuterDisposeScope();
            step.PredOriginalSample.MoveToOuterDisposeScope();
            results[i] = step;
        }
        return results;
    }

    /// <summary>
    /// The guided model output of every request at its run's current step, from one model call (runs do not advance):
    /// per request [n, C, h, w]. New tensors.
    /// </summary>
    public static Tensor[] Predict(DiffusionModel model, IReadOnlyList<GuidedRows> requests)
    {
        if (requests.Count == 0) return [];
        using var scope = NewDisposeScope();
        var inputs = new List<Tensor>();
        var conds = new List<Conditioning>();
        var timesteps = new List<float>();
        foreach (var r in requests)
        {
            if (r.Cond.BatchSize != r.Rows || (r.Guided && r.Uncond!.BatchSize != r.Rows))
                throw new ArgumentException($"a request of {r.Rows} rows needs conditions of {r.Rows} rows, got {r.Cond.BatchSize} and {r.Uncond?.BatchSize}");
            var x = r.Run.ScaleModelInput(r.Sample);
            var copies = r.Guided ? 2 : 1;
            for (var c = 0; c < copies; c++) inputs.Add(x);
            if (r.Guided) conds.Add(r.Uncond!);
            conds.Add(r.Cond);
            timesteps.AddRange(Enumerable.Repeat((float)r.Run.Timestep, (int)(copies * r.Rows)));
        }
        var device = requests[0].Sample.device;
        using var batch = Conditioning.Concat(conds);                                              // [R, Lmax, D], mask [R, Lmax]
        var output = model(cat(inputs, 0), tensor(timesteps.ToArray(), device: device), batch);    // [R, C, h, w]
        var predictions = new Tensor[requests.Count];
        long row = 0;
        for (var i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            var n = r.Rows;
            predictions[i] = (r.Guided
                ? Guidance.Combine(output.narrow(0, row, n), output.narrow(0, row + n, n), Enumerable.Repeat(r.GuidanceScale, (int)n).ToArray())
                : output.narrow(0, row, n)).MoveToOuterDisposeScope();
            row += r.Guided ? 2 * n : n;
        }
        return predictions;
    }
}
