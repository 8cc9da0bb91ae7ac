namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// The inference timesteps of diffusers' <c>set_timesteps</c> for "linspace", "leading" and "trailing"
/// spacing (Table 2 of arXiv:2305.08891), reproducing its numpy float64/int64 arithmetic exactly,
/// rounding half to even as <c>np.round</c> does. Largest first.
/// </summary>
public static class TimestepSpacing
{
    public static long[] Timesteps(DdimSchedulerConfig c, int numInferenceSteps)
    {
        var n = numInferenceSteps;
        var train = c.NumTrainTimesteps;
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), $"num_inference_steps must be >= 1, got {n}");
        if (n > train)
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps),
                $"num_inference_steps {n} cannot be larger than num_train_timesteps {train}");
        return c.TimestepSpacing switch
        {
            "linspace" => Linspace(train, n),
            "leading" => Leading(train, n, c.StepsOffset),
            "trailing" => Trailing(train, n),
            _ => throw new InvalidDataException($"timestep_spacing '{c.TimestepSpacing}' is not supported"),
        };
    }

    /// <summary>np.linspace(0, T - 1, n).round()[::-1]: i * ((T-1)/(n-1)), the last one exactly T - 1.</summary>
    private static long[] Linspace(int train, int n)
    {
        var values = new long[n];
        var step = n > 1 ? (double)(train - 1) / (n - 1) : 0;
        for (var i = 0; i < n; i++)
            values[n - 1 - i] = (long)Math.Round(i == n - 1 && n > 1 ? train - 1 : i * step, MidpointRounding.ToEven);
        return values;
    }

    /// <summary>(arange(n) * (T // n))[::-1] + steps_offset: integer steps, the offset shifts them all.</summary>
    private static long[] Leading(int train, int n, int offset)
    {
        long ratio = train / n;
        var values = new long[n];
        for (var i = 0; i < n; i++) values[n - 1 - i] = i * ratio + offset;
        return values;
    }

    /// <summary>
    /// round(np.arange(T, 0, -T/n)) - 1. numpy's float arange: its length is ceil(T / (T/n)) and element i
    /// is T + i * ((T - T/n) - T) (from the second element), so the spacing carries that rounding.
    /// </summary>
    private static long[] Trailing(int train, int n)
    {
        var ratio = (double)train / n;
        var length = (long)Math.Ceiling((0.0 - train) / -ratio);
        var first = (double)train;
        var second = first + -ratio;
        var delta = second - first;
        var values = new long[length];
        for (var i = 0; i < length; i++)
        {
            var v = i switch { 0 => first, 1 => second, _ => first + i * delta };
            values[i] = (long)Math.Round(v, MidpointRounding.ToEven) - 1;
        }
        return values;
    }
}
