using System.Collections.Concurrent;
using System.Text.Json;

namespace UnimoG.EmojiWorld;

/// <summary>
/// The installed npm package <c>emoji-datasource-google</c> (Noto Emoji art, Apache-2.0; metadata MIT):
/// <c>emoji.json</c> and the 64x64 PNGs in <c>img/google/64/</c>. Installed by <c>scripts/fetch-emoji-art.sh</c>;
/// never committed. Sprites are decoded on first use and cached.
/// </summary>
public sealed class EmojiArt : IDisposable
{
    public const string PackageName = "emoji-datasource-google";
    public const string PackageVersion = "16.0.0";
    /// <summary>Environment variable naming the art folder when no path is given.</summary>
    public const string EnvironmentVariable = "UNIMOG_EMOJI_ART";
    private const string ImageFolder = "img/google/64";

    private readonly Dictionary<string, string> _images;
    private readonly Dictionary<string, string> _sources;
    private readonly ConcurrentDictionary<string, Lazy<Sprite>> _sprites = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The package folder (holding emoji.json).</summary>
    public string Folder { get; }
    /// <summary>The package version read from its package.json ("unknown" when absent).</summary>
    public string Version { get; }

    private EmojiArt(string folder, Dictionary<string, string> images, Dictionary<string, string> sources, string version)
    {
        Folder = folder;
        _images = images;
        _sources = sources;
        Version = version;
    }

    /// <summary>
    /// Opens the art. <paramref name="path"/> may be the package folder, the folder the script installed into
    /// (holding node_modules/), or null: then <c>UNIMOG_EMOJI_ART</c>, then <c>artifacts/emoji</c> in the
    /// current folder or any folder above it.
    /// </summary>
    public static EmojiArt Open(string? path = null)
    {
        var folder = Locate(path);
        var json = Path.Combine(folder, "emoji.json");
        var images = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var sources = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        using (var stream = File.OpenRead(json))
        using (var doc = JsonDocument.Parse(stream))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{json}: expected a JSON array of emoji.");
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (!e.TryGetProperty("unified", out var unified) || !e.TryGetProperty("image", out var image))
                    throw new InvalidDataException($"{json}: an emoji lacks 'unified' or 'image'.");
                if (e.TryGetProperty("has_img_google", out var has) && has.ValueKind == JsonValueKind.False)
                    continue;
                images[unified.GetString()!] = image.GetString()!;
                if (e.TryGetProperty("category", out var category) && e.TryGetProperty("subcategory", out var subcategory))
                    sources[unified.GetString()!] = $"{category.GetString()} / {subcategory.GetString()}";
            }
        }
        var version = "unknown";
        var packageJson = Path.Combine(folder, "package.json");
        if (File.Exists(packageJson))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(packageJson));
            if (doc.RootElement.TryGetProperty("version", out var v)) version = v.GetString() ?? version;
        }
        return new EmojiArt(folder, images, sources, version);
    }

    public static string Locate(string? path)
    {
        var hint = $"install it with scripts/fetch-emoji-art.sh or pass --art (the folder holding {PackageName}'s emoji.json)";
        if (string.IsNullOrEmpty(path))
            path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(path))
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "artifacts", "emoji");
                if (IsPackage(Path.Combine(candidate, "node_modules", PackageName)))
                    return Path.GetFullPath(Path.Combine(candidate, "node_modules", PackageName));
            }
            throw new DirectoryNotFoundException($"Emoji art not found under artifacts/emoji here or above: {hint}.");
        }
        if (IsPackage(path)) return Path.GetFullPath(path);
        var nested = Path.Combine(path, "node_modules", PackageName);
        if (IsPackage(nested)) return Path.GetFullPath(nested);
        throw new DirectoryNotFoundException($"Emoji art not found at {path} (no emoji.json with {ImageFolder}/): {hint}.");
    }

    private static bool IsPackage(string folder) =>
        File.Exists(Path.Combine(folder, "emoji.json")) && Directory.Exists(Path.Combine(folder, ImageFolder));

    public bool Has(string hex) => _images.ContainsKey(hex);

    /// <summary>emoji.json's "category / subcategory" of an emoji, or null when the file does not say.</summary>
    public string? Source(string hex) => _sources.GetValueOrDefault(hex);

    /// <summary>The decoded sprite of an emoji by its unified hex code (cached).</summary>
    public Sprite Sprite(string hex) => _sprites.GetOrAdd(hex, h => new Lazy<Sprite>(() => LoadSprite(h))).Value;

    private Sprite LoadSprite(string hex)
    {
        if (!_images.TryGetValue(hex, out var image))
            throw new KeyNotFoundException($"Emoji {hex} is not in {Path.Combine(Folder, "emoji.json")} (or has no Google image).");
        var file = Path.Combine(Folder, ImageFolder, image);
        if (!File.Exists(file))
            throw new FileNotFoundException($"Emoji {hex}: image {file} is missing; reinstall with scripts/fetch-emoji-art.sh.", file);
        return EmojiWorld.Sprite.Decode(hex, File.ReadAllBytes(file), file);
    }

    /// <summary>Checks that every catalog entity and scenery background has an image; lists all that do not.</summary>
    public void Validate(EmojiCatalog catalog, BackgroundCatalog backgrounds)
    {
        var json = Path.Combine(Folder, "emoji.json");
        var missing = catalog.Entities.Select(e => e.Hex).Concat(backgrounds.Scenes.Select(s => s.Hex)).Where(h => !Has(h)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"{json} lacks {missing.Count} catalog emoji: {string.Join(", ", missing)} (expected {PackageName}@{PackageVersion}).");
        // Each entity must come from a part of emoji.json its category allows (no flags, symbols...).
        var misplaced = catalog.Entities
            .Where(e => Source(e.Hex) is { } src && !EmojiCatalog.AllowedSources[e.Category].Contains(src))
            .Select(e => $"{e.NameEn} ({e.Hex}) is {Source(e.Hex)}")
            .ToList();
        if (misplaced.Count > 0)
            throw new InvalidDataException($"{json}: {misplaced.Count} catalog entities come from a part of emoji.json their category does not allow: {string.Join("; ", misplaced)}.");
    }

    public void Dispose()
    {
        foreach (var s in _sprites.Values.Where(l => l.IsValueCreated))
            s.Value.Dispose();
    }
}
