using System.CommandLine;
using UnimoG.EmojiWorld;

namespace UnimoG.Cli;

/// <summary><c>unimog emojiworld refs</c>: entity reference images for prompts and EmojiBench.</summary>
internal static class EmojiWorldRefsCommand
{
    public static Command Create()
    {
        var art = EmojiWorldCommand.ArtOption();
        var split = EmojiWorldCommand.SplitOption();
        split.DefaultValueFactory = _ => "all";
        var output = new Option<string>("--out") { Description = "Output folder for {hex}.png, references.json and NOTICE.", Required = true };
        var background = new Option<string>("--background")
        {
            Description = "transparent (the emoji's own alpha) or white.",
            DefaultValueFactory = _ => "transparent",
        };
        var command = new Command("refs", "Write each catalog emoji alone as a 64x64 reference image (the <imgN> inputs of prompts).")
        {
            art, split, output, background,
        };
        command.SetAction(parse =>
        {
            var bg = parse.GetValue(background)!.ToLowerInvariant() switch
            {
                "transparent" => ReferenceBackground.Transparent,
                "white" => ReferenceBackground.White,
                var b => throw new UsageException($"--background '{b}' must be transparent or white."),
            };
            using var emoji = EmojiArt.Open(parse.GetValue(art));
            emoji.Validate(EmojiCatalog.Default, BackgroundCatalog.Default);
            var folder = parse.GetValue(output)!;
            var list = References.Write(emoji, EmojiCatalog.Default, folder, EmojiWorldCommand.ParseSplit(parse.GetValue(split)!), bg);
            Console.WriteLine($"{list.Count} reference images in {folder}");
        });
        return command;
    }
}
