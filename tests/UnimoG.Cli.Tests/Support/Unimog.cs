using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>The <c>unimog</c> command run in-process through its real command tree (<see cref="CliRunner"/>).</summary>
internal static class Unimog
{
    public static CliResult Run(params string[] args) => CliRunner.Run(CliApp.RunAsync, args);

    /// <summary>Runs with <paramref name="stdin"/> as standard input.</summary>
    public static CliResult RunWithInput(string stdin, params string[] args) => CliRunner.Run(CliApp.RunAsync, args, stdin);
}
