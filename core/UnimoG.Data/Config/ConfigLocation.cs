using System.Globalization;

namespace UnimoG.Data.Config;

/// <summary>
/// A key of a config file (the file and the key's JSON path), where checks report what is wrong:
/// <c>at["optimizer"]["learning_rate"].InRange(lr, 0, 10)</c> throws <c>train.json: optimizer.learning_rate: ...</c>.
/// </summary>
public readonly record struct ConfigLocation(string File, string Key = "")
{
    public ConfigLocation this[string key] => new(File, Key.Length == 0 ? key : $"{Key}.{key}");

    public ConfigLocation this[int index] => new(File, $"{Key}[{index}]");

    public ConfigException Error(string problem) => new(File, Key, problem);

    public void InRange(double value, double min, double max = double.PositiveInfinity)
    {
        if (value >= min && value <= max) return;
        throw Error(double.IsPositiveInfinity(max) ? $"must be at least {Show(min)}, got {Show(value)}" : $"must be between {Show(min)} and {Show(max)}, got {Show(value)}");
    }

    public void InRange(long value, long min, long max = long.MaxValue)
    {
        if (value >= min && value <= max) return;
        throw Error(max == long.MaxValue ? $"must be at least {min}, got {value}" : $"must be between {min} and {max}, got {value}");
    }

    public void OneOf(string value, params string[] allowed)
    {
        if (!allowed.Contains(value, StringComparer.Ordinal))
            throw Error($"must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}, got \"{value}\"");
    }

    /// <summary>
    /// <paramref name="path"/> made absolute against <paramref name="baseDir"/>; a NUL character (which no file name
    /// holds, and which the path API refuses with an ArgumentException) is this key's error.
    /// </summary>
    public string FullPath(string baseDir, string path) => path.Contains('\0')
        ? throw Error("is not a path: it contains a NUL character")
        : System.IO.Path.GetFullPath(System.IO.Path.Combine(baseDir, path));

    private static string Show(double d) => d.ToString("G", CultureInfo.InvariantCulture);
}
