namespace UnimoG.EmojiWorld;

/// <summary>
/// The licence files that travel with anything made from the Noto art: NOTICE (attribution, what we
/// changed, emoji.json's MIT licence) and the Apache License 2.0 text. Written into every output folder.
/// </summary>
public static class Notice
{
    public const string NoticeFile = "NOTICE";
    public const string LicenseFile = "LICENSE-Apache-2.0";

    public static string NoticeText => Read("EmojiWorld.NOTICE");
    public static string LicenseText => Read("EmojiWorld.LICENSE-Apache-2.0");

    /// <summary>Writes NOTICE and LICENSE-Apache-2.0 into <paramref name="folder"/>; with <paramref name="keepExisting"/>, files already there stay.</summary>
    public static void WriteTo(string folder, bool keepExisting = false)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, text) in new[] { (NoticeFile, NoticeText), (LicenseFile, LicenseText) })
        {
            var path = Path.Combine(folder, name);
            if (!keepExisting || !File.Exists(path))
                File.WriteAllText(path, text);
        }
    }

    private static string Read(string resource)
    {
        using var reader = new StreamReader(EmojiCatalog.OpenResource(resource));
        return reader.ReadToEnd();
    }
}
