namespace UnimoG.Data.Config;

/// <summary>
/// A config record that checks its values once read (<see cref="ConfigJson"/> calls it): a value this code cannot
/// use throws <see cref="ConfigException"/> through <paramref name="at"/>, which names the file and the record's key.
/// </summary>
public interface IValidatedConfig
{
    void Validate(ConfigLocation at);
}
