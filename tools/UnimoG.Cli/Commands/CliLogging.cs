using System.Globalization;
using Microsoft.Extensions.Logging;

namespace UnimoG.Cli;

/// <summary>Log lines for long-running verbs (train, encode-dataset): "[HH:mm:ss LVL] message" to stdout (warnings too).</summary>
internal static class CliLogging
{
    public static ILogger Create(string category, TextWriter? writer = null) => new TextLogger(writer);

    private sealed class TextLogger(TextWriter? writer) : ILogger
    {
        private readonly object _gate = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var level = logLevel switch { LogLevel.Information => "INF", LogLevel.Warning => "WRN", LogLevel.Error => "ERR", _ => "CRT" };
            var line = $"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {level}] {formatter(state, exception)}";
            lock (_gate)
            {
                var w = writer ?? Console.Out;
                w.WriteLine(line);
                if (exception is not null) w.WriteLine(exception.Message);
                w.Flush();
            }
        }
    }
}
