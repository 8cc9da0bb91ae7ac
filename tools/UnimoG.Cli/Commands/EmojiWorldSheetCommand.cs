using System.CommandLine;
using UnimoG.EmojiWorld;
using UnimoG.Imaging;

namespace UnimoG.Cli;

/// <summary><c>unimog emojiworld sheet</c>: a contact sheet of sample scenes, with their captions printed.</summary>
internal static class EmojiWorldSheetCommand
{
    public static Command Create()
    {
        var art = EmojiWorldCommand.ArtOption();
        var split = EmojiWorldCommand.SplitOption();
        var output = new Option<string>("--out") { Description = "PNG file to write.", Required = true };
        var count = new Option<int>("--count") { Description = "Number of scenes.", DefaultValueFactory = _ => 32 };
        var seed = new Option<long>("--seed") { Description = "Run seed.", DefaultValueFactory = _ => 0 };
        var start = new Option<long>("--start") { Description = "Index of the first scene.", DefaultValueFactory = _ => 0 };
        var columns = new Option<int>("--columns") { Description = "Scenes per row.", DefaultValueFactory = _ => 8 };
        var scale = new Option<int>("--scale") { Description = "Enlargement (pixel repetition).", DefaultValueFactory = _ => 4 };
        var command = new Command("sheet", "Render sample scenes into one PNG (enlarged, true pixels) and print their captions; NOTICE and licence go beside it.")
        {
            art, split, output, count, seed, start, columns, scale,
        };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(count);
            if (n < 1) throw new UsageException("--count must be at least 1.");
            if (parse.GetValue(columns) < 1 || parse.GetValue(scale) < 1) throw new UsageException("--columns and --scale must be at least 1.");
            using var emoji = EmojiArt.Open(parse.GetValue(art));
            var composer = new Composer(emoji);
            var s = EmojiWorldCommand.ParseSplit(parse.GetValue(split)!);
            var scenes = Enumerable.Range(0, n)
                .Select(i => composer.Compose(s, parse.GetValue(seed), parse.GetValue(start) + i))
                .ToList();
            var path = parse.GetValue(output)!;
            // The sheet is derived from the Noto art: its folder gets the notice and licence (kept if present).
            Notice.WriteTo(Path.GetDirectoryName(Path.GetFullPath(path))!, keepExisting: true);
            File.WriteAllBytes(path, ImageGrid.RenderPng(scenes.Select(x => x.Rendered.Rgb).ToList(), Sprite.Size, Sprite.Size, parse.GetValue(columns), parse.GetValue(scale), gutter: 4, new Rgb(128, 128, 128)));
            for (var i = 0; i < scenes.Count; i++)
                Console.WriteLine($"{i,3} {scenes[i].Key}  {scenes[i].CaptionEn.Text}  |  {scenes[i].CaptionZh.Text}");
            Console.WriteLine($"wrote {path}");
        });
        return command;
    }
}
