using System.IO.Compression;
using System.Text;
using System.Text.Json;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Modeling.Tests.Text;

public class ClipTokenizerTests
{
    private static ClipTokenizer Clip => Tokenizers.Clip;

    // From the shared fixture (transformers' CLIPTokenizer): "a photo of a cat".
    private static readonly int[] PhotoOfACat = [49406, 320, 1125, 539, 320, 2368, 49407];

    [Fact]
    public void Vocabulary_has_49408_entries_with_the_special_tokens_at_the_end()
    {
        Assert.Equal(49408, Clip.VocabularySize);
        Assert.Equal(49406, Clip.StartId);
        Assert.Equal(49407, Clip.EndId);
        Assert.Equal(49407, Clip.PadId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\u200b\u0000\u001c")] // only characters the clean-up drops
    public void Empty_text_is_start_and_end(string text) => Assert.Equal([49406, 49407], Clip.Encode(text));

    [Fact]
    public void Special_tokens_written_in_text_map_to_their_ids_in_any_case()
    {
        Assert.Equal([49406, 320, 49407, 321, 49407], Clip.Encode("a<|endoftext|>b"));
        // Upper case reaches the regex after lower-casing, which matches it as one word.
        Assert.Equal([49406, 49407, 49407], Clip.Encode("<|ENDOFTEXT|>"));
        Assert.Equal([49406, 320, 49407], Clip.Encode("a", addSpecialTokens: false).Prepend(49406).Append(49407).ToArray());
    }

    [Fact]
    public void Pads_to_77_with_the_end_token_and_masks_the_padding()
    {
        var padded = Clip.EncodeForModel("a photo of a cat");
        Assert.Equal(77, padded.InputIds.Length);
        Assert.Equal(PhotoOfACat.Select(i => (long)i), padded.InputIds.Take(7));
        Assert.All(padded.InputIds.Skip(7), id => Assert.Equal(49407L, id));
        Assert.Equal(Enumerable.Repeat(1L, 7).Concat(Enumerable.Repeat(0L, 70)), padded.AttentionMask);
        Assert.Equal(7, padded.Length);
    }

    [Fact]
    public void Truncates_long_text_keeping_the_end_token()
    {
        string text = string.Join(' ', Enumerable.Repeat("cat", 200)); // "cat" is one token
        var full = Clip.Encode(text);
        Assert.Equal(202, full.Length);
        var padded = Clip.EncodeForModel(text);
        Assert.Equal(77, padded.InputIds.Length);
        Assert.Equal(full.Take(76).Select(i => (long)i), padded.InputIds.Take(76));
        Assert.Equal(49407L, padded.InputIds[76]);
        Assert.All(padded.AttentionMask, m => Assert.Equal(1L, m));
    }

    [Fact]
    public void Pad_token_and_length_are_configurable()
    {
        var zeroPad = Clip.WithPadId(0).EncodeForModel("a photo of a cat", maxLength: 10);
        Assert.Equal([49406, 320, 1125, 539, 320, 2368, 49407, 0, 0, 0], zeroPad.InputIds);
        Assert.Equal(49407, Clip.PadId); // the original is unchanged
        Assert.Throws<ArgumentOutOfRangeException>(() => Clip.EncodeForModel("x", maxLength: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clip.WithPadId(49408));
    }

    [Fact]
    public void Decodes_like_transformers()
    {
        Assert.Equal("a photo of a cat", Clip.Decode(PhotoOfACat));
        Assert.Equal("<|startoftext|> a photo of a cat <|endoftext|>", Clip.Decode(PhotoOfACat, skipSpecialTokens: false));
        Assert.Equal("café 🙂 naïve", Clip.Decode(Clip.Encode("Café 🙂 NAÏVE")));
        // CJK ideographs are words of their own after the clean-up, so they come back spaced.
        Assert.Equal("一 个 男 孩", Clip.Decode(Clip.Encode("一个男孩")));
        Assert.Throws<ArgumentOutOfRangeException>(() => Clip.Decode([49408]));
    }

    [Fact]
    public void Vocab_JSON_and_merges_txt_give_the_same_ids_as_the_gz_file()
    {
        // Hugging Face's files, written from openai's .gz: 256 byte symbols (GPT-2's bytes_to_unicode order),
        // the same with </w>, merges 1..48894 concatenated, the special tokens; merges.txt with its header.
        var lines = ReadGzLines();
        var bytes = new List<int>();
        for (int b = '!'; b <= '~'; b++) bytes.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bytes.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bytes.Add(b);
        var symbols = bytes.Select(b => ((char)b).ToString()).ToList();
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!bytes.Contains(b)) symbols.Add(((char)(256 + n++)).ToString());
        var vocab = new List<string>(symbols);
        vocab.AddRange(symbols.Select(s => s + "</w>"));
        vocab.AddRange(lines.Skip(1).Take(48894).Select(l => l.Replace(" ", "")));
        vocab.Add("<|startoftext|>");
        vocab.Add("<|endoftext|>");

        var dir = Directory.CreateTempSubdirectory("unimog-clip-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "vocab.json"),
                JsonSerializer.Serialize(vocab.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i)));
            File.WriteAllText(Path.Combine(dir.FullName, "merges.txt"),
                "#version: 0.2\n" + string.Join('\n', lines.Skip(1).Take(48894)) + "\n");
            var fromFolder = TextTokenizers.LoadClip(dir.FullName);
            Assert.Equal(49408, fromFolder.VocabularySize);
            foreach (var text in new[] { "a photo of a cat", "一个男孩在城堡里读古诗, a boy", "ＦＵＬＬＷＩＤＴＨ 🙂 it's <|endoftext|>" })
                Assert.Equal(Clip.Encode(text), fromFolder.Encode(text));
            Assert.Equal(PhotoOfACat, fromFolder.Encode("a photo of a cat"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string[] ReadGzLines()
    {
        using var gz = new GZipStream(File.OpenRead(Tokenizers.ClipGz), CompressionMode.Decompress);
        using var reader = new StreamReader(gz, Encoding.UTF8);
        return reader.ReadToEnd().Split('\n');
    }

    [Fact]
    public void Loader_reports_what_is_wrong_with_a_path()
    {
        Assert.Throws<FileNotFoundException>(() => TextTokenizers.LoadClip("/nonexistent/clip"));
        var dir = Directory.CreateTempSubdirectory("unimog-clip-");
        try
        {
            var ex = Assert.Throws<FileNotFoundException>(() => TextTokenizers.LoadClip(dir.FullName));
            Assert.Contains("vocab.json", ex.Message);
            var txt = Path.Combine(dir.FullName, "vocab.txt");
            File.WriteAllText(txt, "x");
            Assert.Throws<InvalidDataException>(() => TextTokenizers.LoadClip(txt));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
