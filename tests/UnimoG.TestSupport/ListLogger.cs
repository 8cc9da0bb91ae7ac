using Microsoft.Extensions.Logging;

namespace UnimoG.TestSupport;

/// <summary>Collects log lines (level and text) for assertions.</summary>
public sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, string Text)> _lines = [];
    public IReadOnlyList<(LogLevel Level, string Text)> Lines { get { lock (_lines) return [.. _lines]; } }
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add((logLevel, formatter(state, exception)));
    }
}
