// The CLI tests redirect Console output, which is process-wide: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace UnimoG.Cli.Tests;

/// <summary>Runs <c>unimog</c> in-process through its real command tree and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Out, string Error) Run(params string[] args)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            var code = CliApp.RunAsync(args).GetAwaiter().GetResult();
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
