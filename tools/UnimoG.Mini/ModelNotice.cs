using UnimoG.EmojiWorld;

namespace UnimoG.Mini;

/// <summary>
/// NOTICE and LICENSE-Apache-2.0 for weights trained on EmojiWorld: a preface saying what the files are and how they
/// derive from the Noto Emoji art, then EmojiWorld's own notice (attribution, changes, emoji.json's MIT licence).
/// </summary>
public static class ModelNotice
{
    public static string Text(string what) =>
        $"""
        {what}

        These weights were trained, by the UNIMO-G services project, on EmojiWorld images and captions derived from
        Noto Emoji art (Emoji artwork: Noto Emoji, Copyright Google Inc., Apache License 2.0). What was changed: the
        emoji were resized, cropped and composited into 64x64 scenes (notice below), and networks were trained on
        those scenes; the weights may reproduce parts of the artwork. The Apache License 2.0 text is in
        LICENSE-Apache-2.0 beside this file.

        ----------------------------------------------------------------------------------------------------------

        """ + Notice.NoticeText;

    public static void WriteTo(string folder, string what)
    {
        Notice.WriteTo(folder);
        File.WriteAllText(Path.Combine(folder, Notice.NoticeFile), Text(what));
    }
}
