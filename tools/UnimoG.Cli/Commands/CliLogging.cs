using System.Globalization;
using Microsoft.Extensions.Logging;

namespace UnimoG.Cli;

/// <summary>
/// Log lines for long-running verbs (train, encode-dataset): "[HH:mm:ss LVL] message" to stdout (warnings too), or
/// through a <see cref="ProgressLine"/> so that they appear above its bar.
/// </summary>
internal static class CliLogging
{
    public static ILogger Create(string category, TextWriter? writer = null) => new TextLogger(line =>
    {
        var w = writer ?? Console.Out;
        w.WriteLine(line);
        w.Flush();
    });

    public static ILogger Create(string category, ProgressLine progress) => new TextLogger(progress.WriteLine);

    /// <summary>Warnings and errors only, each line prefixed (a data-parallel rank other than 0: "rank 1: ...").</summary>
    public static ILogger Quiet(string prefix, TextWriter writer) => new TextLogger(line =>
    {
        lock (writer)
        {
            writer.WriteLine(prefix + line);
            writer.Flush();
        }
    }, LogLevel.Warning);

    private sealed class TextLogger(Action<string> write, LogLevel minimum = LogLevel.Information) : ILogger
    {
        private readonly object _gate = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var level = logLevel switch { LogLevel.Information => "INF", LogLevel.Warning => "WRN", LogLevel.Error => "ERR", _ => "CRT" };
            var line = $"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)} {level}] {formatter(state, exception)}";
            lock (_gate)
            {
                write(line);
                if (exception is not null) write(exception.Message);
            }
        }
    }
}
