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

    public static void WriteTo(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, NoticeFile), NoticeText);
        File.WriteAllText(Path.Combine(folder, LicenseFile), LicenseText);
    }

    private static string Read(string resource)
    {
        using var reader = new StreamReader(EmojiCatalog.OpenResource(resource));
        return reader.ReadToEnd();
    }
}
