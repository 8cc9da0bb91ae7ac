using System.CommandLine;

namespace UnimoG.Cli;

/// <summary>The <c>unimog</c> command tree. Each verb lives in its own file and adds itself here.</summary>
public static class CliApp
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("UNIMO-G: image generation from multimodal prompts.");
        var config = new InvocationConfiguration();
        return await root.Parse(args).InvokeAsync(config);
    }
}
