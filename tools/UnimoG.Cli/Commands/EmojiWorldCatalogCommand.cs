using System.CommandLine;
using UnimoG.EmojiWorld;

namespace UnimoG.Cli;

/// <summary><c>unimog emojiworld catalog</c>: list the entity catalog and its split counts.</summary>
internal static class EmojiWorldCatalogCommand
{
    public static Command Create()
    {
        var art = new Option<string?>("--art")
        {
            Description = "Also check that every entity has an image in this art folder (see emojiworld compose --art).",
        };
        var category = new Option<string?>("--category") { Description = "Only this category: living, wearing, toy or food." };
        var heldOut = new Option<bool>("--held-out") { Description = "Only held-out entities." };
        var command = new Command("catalog", "List EmojiWorld's entities (hex, category, kind, English, Chinese, held out) and counts per category.")
        {
            art, category, heldOut,
        };
        command.SetAction(parse =>
        {
            var catalog = EmojiCatalog.Default;
            Category? only = parse.GetValue(category) is { } c
                ? Enum.TryParse<Category>(c, true, out var parsed) && !int.TryParse(c, out _)
                    ? parsed
                    : throw new UsageException($"--category '{c}' must be living, wearing, toy or food.")
                : null;
            if (parse.GetValue(art) is { } artPath)
            {
                using var emoji = EmojiArt.Open(artPath);
                emoji.Validate(catalog, BackgroundCatalog.Default);
                Console.WriteLine($"art: {emoji.Folder} ({EmojiArt.PackageName} {emoji.Version}): every entity and scenery background has an image");
            }
            foreach (var e in catalog.Entities.Where(e => (only is null || e.Category == only) && (!parse.GetValue(heldOut) || e.HeldOut)))
                Console.WriteLine($"{e.Hex,-22} {e.Category.ToString().ToLowerInvariant(),-8} {e.Kind.ToString().ToLowerInvariant(),-8} "
                                  + $"{e.NameEn,-22} {e.NameZh}{(e.HeldOut ? "  [held out]" : "")}");
            Console.WriteLine();
            foreach (var cat in Enum.GetValues<Category>())
            {
                var all = catalog.Entities.Count(e => e.Category == cat);
                var held = catalog.Entities.Count(e => e.Category == cat && e.HeldOut);
                Console.WriteLine($"{cat.ToString().ToLowerInvariant(),-8} {all,3} entities: {all - held,3} seen, {held,3} held out");
            }
            Console.WriteLine($"backgrounds: {BackgroundCatalog.Default.Colours.Count} colours, {BackgroundCatalog.Default.Scenes.Count} scenery emoji");
        });
        return command;
    }
}
