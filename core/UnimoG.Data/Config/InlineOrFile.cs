using System.Text.Json.Serialization;

namespace UnimoG.Data.Config;

/// <summary>
/// A config inside a config, given inline as a JSON object or as the path of its own file (relative to the
/// including file's folder): the training config's <c>model.unet_config</c> and <c>model.scheduler</c>.
/// <see cref="Load"/> reads the file, so afterwards <see cref="Value"/> always holds the config; written back, it is
/// the object (what was used, whatever file it came from).
/// </summary>
[JsonConverter(typeof(InlineOrFileConverter))]
public sealed record InlineOrFile<T> where T : class
{
    /// <summary>The path as written; absolute once loaded. Null when the config was inline.</summary>
    public string? Path { get; init; }

    private readonly T? _value;

    /// <summary>The config: inline, or read from <see cref="Path"/> by <see cref="Load"/>.</summary>
    public T Value
    {
        get => _value ?? throw new InvalidOperationException($"{Path} was not loaded (InlineOrFile.Load)");
        init => _value = value;
    }

    public bool IsLoaded => _value is not null;

    /// <summary>Reads the file (relative to <paramref name="baseDir"/>) with <paramref name="read"/>, or checks the inline value.</summary>
    public InlineOrFile<T> Load(ConfigLocation at, string baseDir, Func<string, T> read)
    {
        if (_value is not null)
        {
            (_value as IValidatedConfig)?.Validate(at);
            return this;
        }
        var full = at.FullPath(baseDir, Path!);
        try
        {
            return new InlineOrFile<T> { Path = full, Value = read(full) };
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw at.Error($"file not found: {full} ({e.Message})");
        }
    }
}
