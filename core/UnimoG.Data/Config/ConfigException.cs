namespace UnimoG.Data.Config;

/// <summary>
/// A config file that cannot be used, as one line naming the file and the key (its JSON path):
/// <c>docs/examples/train-stage1.json: optimizer.learning_rate: expected a number, got "fast"</c>.
/// The one exception of the config reader (<see cref="ConfigJson"/>) and of every config check.
/// </summary>
public sealed class ConfigException(string file, string key, string problem)
    : Exception(key.Length == 0 ? $"{file}: {problem}" : $"{file}: {key}: {problem}")
{
    /// <summary>The file, or what stands for it (<c>training config</c> of a gRPC request, <c>sd15 unet config</c>).</summary>
    public string File { get; } = file;

    /// <summary>The JSON path of the offending key: <c>phases[1].data.path</c>; empty for the whole file.</summary>
    public string Key { get; } = key;

    public string Problem { get; } = problem;
}
