using UnimoG.TestSupport;

namespace UnimoG.EmojiWorld.Tests;

/// <summary>
/// The real Noto art: UNIMOG_EMOJI_ART, else artifacts/emoji in the repository (installed by
/// scripts/fetch-emoji-art.sh, which .ci/run calls). Without it the tests using it are skipped with the reason.
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
            // Tests never download: .ci/run installs the art with scripts/fetch-emoji-art.sh before the tests.
            return (null, $"emoji art not installed in {repoArt}: run scripts/fetch-emoji-art.sh (CI does) or set {EmojiArt.EnvironmentVariable}");
        }
        catch (Exception e) when (e is IOException or DirectoryNotFoundException)
        {
            return (null, $"emoji art unavailable: {e.Message}");
        }
    }

    public void Dispose() => Emoji?.Dispose();
}
