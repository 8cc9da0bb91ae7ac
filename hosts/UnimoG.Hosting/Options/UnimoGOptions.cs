using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using UnimoG.Data.Config;

namespace UnimoG.Hosting.Options;

/// <summary>Binds options from configuration and validates them when the host starts.</summary>
public static class UnimoGOptions
{
    /// <summary>
    /// Registers <typeparamref name="T"/> bound to <paramref name="section"/> with ValidateOnStart, and returns
    /// an instance bound now: hosting wiring (ports, exporters, sinks) needs values before the container exists.
    /// Invalid values throw <see cref="OptionsValidationException"/> here already, listing every problem.
    /// </summary>
    public static T Bind<T>(IServiceCollection services, IConfiguration configuration, string section)
        where T : class, IValidatedOptions, new()
    {
        services.AddOptions<T>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<T>>(new Validator<T>(section));
        var now = Read<T>(configuration, section);
        var failures = now.Validate(section).ToList();
        if (failures.Count > 0)
            throw new OptionsValidationException(section, typeof(T), failures);
        return now;
    }

    /// <summary>Binds without registering (for values read once, e.g. by a test or a tool).</summary>
    public static T Read<T>(IConfiguration configuration, string section) where T : class, new()
    {
        var value = new T();
        try
        {
            configuration.GetSection(section).Bind(value);
        }
        catch (InvalidOperationException e)
        {
            // The binder's message names the key and the value that failed to convert.
            throw new OptionsValidationException(section, typeof(T), [$"{section}: {e.Message}"]);
        }
        return value;
    }

    private sealed class Validator<T>(string section) : IValidateOptions<T> where T : class, IValidatedOptions
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = options.Validate(section).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}

/// <summary>Small checks shared by the options classes.</summary>
internal static class Check
{
    public static IEnumerable<string> Port(string key, int value, bool allowZero = false)
    {
        if (value < (allowZero ? 0 : 1) || value > 65535)
            yield return $"{key} must be a TCP port between {(allowZero ? 0 : 1)} and 65535, got {value}.";
    }

    public static IEnumerable<string> Positive(string key, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
            yield return $"{key} must be a positive duration (e.g. 00:00:30), got {value}.";
    }

    public static IEnumerable<string> NotNegative(string key, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
            yield return $"{key} must not be negative, got {value}.";
    }

    public static IEnumerable<string> AbsoluteUri(string key, string? value, params string[] schemes)
    {
        if (string.IsNullOrWhiteSpace(value)) yield break;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || !schemes.Contains(uri.Scheme))
            yield return $"{key} must be an absolute {string.Join(" or ", schemes)} URL, got '{value}'.";
    }

    public static IEnumerable<string> FileExists(string key, string? path)
    {
        if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
            yield return $"{key} names a file that does not exist: '{path}'.";
    }
}
