using Serilog.Events;
using UnimoG.Hosting.Options;
using UnimoG.Data.Config;

namespace UnimoG.Hosting.Logging;

/// <summary>Section <c>Log</c>: levels and console format (the console sink is always on).</summary>
public sealed class LogOptions : IValidatedOptions
{
    public const string Section = "Log";

    public LogEventLevel MinimumLevel { get; set; } = LogEventLevel.Information;

    /// <summary>Per-namespace levels, e.g. <c>Log:Override:Microsoft.AspNetCore=Warning</c>.</summary>
    public Dictionary<string, LogEventLevel> Override { get; set; } = new()
    {
        ["Microsoft.AspNetCore"] = LogEventLevel.Warning,
        ["Grpc"] = LogEventLevel.Warning,
        ["System.Net.Http"] = LogEventLevel.Warning,
    };

    /// <summary><c>text</c> (human) or <c>json</c> (one JSON object per line, for log collectors).</summary>
    public string ConsoleFormat { get; set; } = "text";

    public IEnumerable<string> Validate(string section)
    {
        if (ConsoleFormat is not ("text" or "json"))
            yield return $"{section}:ConsoleFormat must be 'text' or 'json', got '{ConsoleFormat}'.";
    }
}

/// <summary>Section <c>Seq</c>: the Seq sink is added when <see cref="ServerUrl"/> is set.</summary>
public sealed class SeqOptions : IValidatedOptions
{
    public const string Section = "Seq";

    /// <summary>Base URL of the Seq server, e.g. <c>http://seq:5341</c>.</summary>
    public string? ServerUrl { get; set; }

    /// <summary>Sent as <c>X-Seq-ApiKey</c>.</summary>
    public string? ApiKey { get; set; }

    public LogEventLevel MinimumLevel { get; set; } = LogEventLevel.Verbose;

    /// <summary>How often batches are shipped; the rest is flushed when the service stops.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(2);

    public IEnumerable<string> Validate(string section) =>
        Check.AbsoluteUri($"{section}:ServerUrl", ServerUrl, "http", "https")
            .Concat(Check.Positive($"{section}:Period", Period));
}
