using System.Diagnostics;
using UnimoG.EmojiWorld;
using UnimoG.TestSupport;

namespace UnimoG.EmojiWorld.Tests;

/// <summary>
/// The real Noto art: UNIMOG_EMOJI_ART, else artifacts/emoji in the repository, else installed there by
/// scripts/fetch-emoji-art.sh (npm; the registry is reachable here and in CI). When that fails the tests
/// using it are skipped with the reason.
/// </summary>
public sealed class RealArtFixture : IDisposable
{
    private static readonly Lazy<(string? Folder, string? Why)> Located = new(Locate);

    public EmojiArt? Emoji { get; }
    public string? SkipReason { get; }

    public RealArtFixture()
    {
        var (folder, why) = Located.Value;
        SkipReason = why;
        if (folder is not null) Emoji = EmojiArt.Open(folder);
    }

    /// <summary>The art, or skips the calling test saying why it is unavailable.</summary>
    public EmojiArt Require()
    {
        Skip.If(Emoji is null, SkipReason);
        return Emoji!;
    }

    private static (string?, string?) Locate()
    {
        try
        {
            if (Environment.GetEnvironmentVariable(EmojiArt.EnvironmentVariable) is { Length: > 0 } env)
                return (EmojiArt.Locate(env), null);
            var repoArt = Path.Combine(RepoPaths.Root, "artifacts", "emoji");
            try { return (EmojiArt.Locate(repoArt), null); }
            catch (DirectoryNotFoundException) { }
            var script = Path.Combine(RepoPaths.Root, "scripts", "fetch-emoji-art.sh");
            var psi = new ProcessStartInfo("bash", [script, repoArt]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
            {
                p.Kill(entireProcessTree: true);
                return (null, "scripts/fetch-emoji-art.sh did not finish within 5 minutes (npm registry unreachable?)");
            }
            if (p.ExitCode != 0)
                return (null, $"scripts/fetch-emoji-art.sh failed (exit {p.ExitCode}): {stderr.Result.Trim()}");
            return (EmojiArt.Locate(stdout.Result.Trim()), null);
        }
        catch (Exception e) when (e is IOException or DirectoryNotFoundException or System.ComponentModel.Win32Exception)
        {
            return (null, $"emoji art unavailable: {e.Message}");
        }
    }

    public void Dispose() => Emoji?.Dispose();
}
