using System.CommandLine;
using UnimoG.EmojiWorld;

namespace UnimoG.Cli;

/// <summary><c>unimog emojiworld ...</c>: the EmojiWorld data (scenes, catalog, reference images, contact sheets).</summary>
internal static class EmojiWorldCommand
{
    public static Command Create()
    {
        var command = new Command("emojiworld", "EmojiWorld: training and benchmark scenes composed from Noto emoji art (see docs/emojiworld.md).");
        command.Subcommands.Add(EmojiWorldComposeCommand.Create());
        command.Subcommands.Add(EmojiWorldCatalogCommand.Create());
        command.Subcommands.Add(EmojiWorldRefsCommand.Create());
        command.Subcommands.Add(EmojiWorldSheetCommand.Create());
        return command;
    }

    /// <summary>--art: the emoji-datasource-google folder (or the folder scripts/fetch-emoji-art.sh installed into).</summary>
    public static Option<string?> ArtOption() => new("--art")
    {
        Description = "Emoji art folder: emoji-datasource-google's package folder or the folder scripts/fetch-emoji-art.sh installed into "
                      + $"(default: ${EmojiArt.EnvironmentVariable}, else artifacts/emoji here or above).",
    };

    public static Option<string> SplitOption() => new("--split")
    {
        Description = "train: seen entities only; bench: held-out entities only; all: both (evaluator networks only).",
        DefaultValueFactory = _ => "train",
    };

    public static Split ParseSplit(string text) => text.ToLowerInvariant() switch
    {
        "train" => Split.Train,
        "bench" => Split.Bench,
        "all" => Split.All,
        _ => throw new UsageException($"--split '{text}' must be train, bench or all."),
    };
}
