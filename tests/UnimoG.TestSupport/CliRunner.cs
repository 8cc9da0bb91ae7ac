namespace UnimoG.TestSupport;

/// <summary>What one in-process run of a command line printed, and its exit code.</summary>
public sealed record CliResult(int ExitCode, string Out, string Error);

/// <summary>
/// Runs a command line's entry point in-process (for <c>unimog</c>: <c>CliApp.RunAsync</c>, passed in so that this
/// library does not depend on the CLI and every host it references) and captures what it prints. The console is
/// process-wide: runs are serialised here, and a test project that runs the CLI disables test parallelisation.
/// </summary>
public static class CliRunner
{
    private static readonly Lock ConsoleLock = new();

    public static CliResult Run(Func<string[], Task<int>> main, string[] args, string? stdin = null)
    {
        lock (ConsoleLock)
        {
            var (oldIn, oldOut, oldError) = (Console.In, Console.Out, Console.Error);
            using var output = new StringWriter();
            using var error = new StringWriter();
            try
            {
                if (stdin is not null) Console.SetIn(new StringReader(stdin));
                Console.SetOut(output);
                Console.SetError(error);
                var code = main(args).GetAwaiter().GetResult();
                return new CliResult(code, output.ToString(), error.ToString());
            }
            finally
            {
                Console.SetIn(oldIn);
                Console.SetOut(oldOut);
                Console.SetError(oldError);
            }
        }
    }
}
