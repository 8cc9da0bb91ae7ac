namespace UnimoG.Modeling.Schedulers;

/// <summary>
/// The inference timesteps of diffusers' <c>set_timesteps</c> for "linspace", "leading" and "trailing"
/// spacing (Table 2 of arXiv:2305.08891), reproducing its numpy float64/int64 arithmetic exactly,
/// rounding half to even as <c>np.round</c> does. Largest first.
/// </summary>
public static class TimestepSpacing
{
    public static long[] Timesteps(DiffusersSchedulerConfig c, int numInferenceSteps)
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

    /// <summary>np.linspace(0, T - 1, n).round()[::-1].</summary>
    private static long[] Linspace(int train, int n) => Linspace(0, train - 1, n).Select(RoundHalfEven).Reverse().ToArray();

    /// <summary>(arange(n) * (T // n))[::-1] + steps_offset: integer steps, the offset shifts them all.</summary>
    private static long[] Leading(int train, int n, int offset)
    {
        long ratio = train / n;
        var values = new long[n];
        for (var i = 0; i < n; i++) values[n - 1 - i] = i * ratio + offset;
        return values;
    }

    /// <summary>round(np.arange(T, 0, -T/n)) - 1 (see <see cref="Arange"/>).</summary>
    private static long[] Trailing(int train, int n) =>
        Arange(train, 0, (double)train / n).Select(v => (long)Math.Round(v, MidpointRounding.ToEven) - 1).ToArray();

    /// <summary>
    /// np.arange(start, stop, -step) in float64 (downwards): its length is ceil((stop - start) / -step) and element i
    /// is start + i * ((start - step) - start) from the second element on, so the spacing carries that rounding.
    /// </summary>
    public static double[] Arange(double start, double stop, double step)
    {
        var length = (long)Math.Ceiling((stop - start) / -step);
        var second = start + -step;
        var delta = second - start;
        var values = new double[Math.Max(0, length)];
        for (var i = 0; i < values.Length; i++) values[i] = i switch { 0 => start, 1 => second, _ => start + i * delta };
        return values;
    }

    /// <summary>np.linspace(start, stop, num) in float64: start + i * ((stop - start) / (num - 1)), the last exactly stop.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var values = new double[num];
        var step = num > 1 ? (stop - start) / (num - 1) : 0;
        for (var i = 0; i < num; i++) values[i] = i == num - 1 && num > 1 ? stop : start + i * step;
        return values;
    }

    public static long RoundHalfEven(double v) => (long)Math.Round(v, MidpointRounding.ToEven);
}
