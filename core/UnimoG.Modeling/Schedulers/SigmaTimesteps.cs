using static UnimoG.Modeling.Schedulers.TimestepSpacing;

namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// The inference timesteps of the sigma-based schedulers' <c>set_timesteps</c> (diffusers v0.31.0, numpy's float64
/// arithmetic, half-to-even rounding). They differ from DDIM's: the multistep solvers space n + 1 points and drop the
/// last (t = 0 is reached through the final sigma), and Euler keeps fractional float32 timesteps. Largest first.
/// </summary>
public static class SigmaTimesteps
{
    /// <summary>DPM-Solver's and UniPC's integer timesteps; <paramref name="lastTimestep"/> is T, or less when lambda is clipped.</summary>
    public static long[] Multistep(DiffusersSchedulerConfig c, int n, int lastTimestep)
    {
        CheckSteps(c, n);
        switch (c.TimestepSpacing)
        {
            case "linspace":
                // np.linspace(0, last - 1, n + 1).round()[::-1][:-1]
                return Linspace(0, lastTimestep - 1, n + 1).Select(RoundHalfEven).Reverse().Take(n).ToArray();
            case "leading":
                // (np.arange(0, n + 1) * (last // (n + 1))).round()[::-1][:-1] + steps_offset
                long ratio = lastTimestep / (n + 1);
                return Enumerable.Range(0, n + 1).Select(i => i * ratio + c.StepsOffset).Reverse().Take(n).ToArray();
            case "trailing":
                // np.arange(last, 0, -T / n).round() - 1
                return Arange(lastTimestep, 0, (double)c.NumTrainTimesteps / n).Select(v => RoundHalfEven(v) - 1).ToArray();
            default:
                throw new InvalidDataException($"timestep_spacing '{c.TimestepSpacing}' is not supported");
        }
    }

    /// <summary>The Euler schedulers' float32 timesteps.</summary>
    public static float[] Euler(DiffusersSchedulerConfig c, int n)
    {
        CheckSteps(c, n);
        var train = c.NumTrainTimesteps;
        return c.TimestepSpacing switch
        {
            // np.linspace(0, T - 1, n, dtype=float32)[::-1]: float64 values rounded to float32
            "linspace" => Linspace(0, train - 1, n).Select(v => (float)v).Reverse().ToArray(),
            // (np.arange(0, n) * (T // n)).round()[::-1].astype(float32) + steps_offset
            "leading" => Enumerable.Range(0, n).Select(i => (float)(i * (long)(train / n)) + c.StepsOffset).Reverse().ToArray(),
            // np.arange(T, 0, -T / n).round().astype(float32) - 1
            "trailing" => Arange(train, 0, (double)train / n).Select(v => (float)RoundHalfEven(v) - 1f).ToArray(),
            _ => throw new InvalidDataException($"timestep_spacing '{c.TimestepSpacing}' is not supported"),
        };
    }

    private static void CheckSteps(DiffusersSchedulerConfig c, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"num_inference_steps must be >= 1, got {n}");
        if (n > c.NumTrainTimesteps)
            throw new ArgumentOutOfRangeException(nameof(n), $"num_inference_steps {n} cannot be larger than num_train_timesteps {c.NumTrainTimesteps}");
    }
}
