using UnimoG.EmojiWorld;
using UnimoG.Mini.Mllm;
using UnimoG.Mini.Tests.Support;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Mini.Tests;

public class TokenizerTests
{
    private static readonly string Shipped = Path.Combine(RepoPaths.Root, "models", "unimog-mini-staging", "tokenizer", "tokenizer.model");

    [SkippableFact]
    public void The_script_trains_on_train_shards_and_its_model_encodes_captions_as_sentencepiece_does()
    {
        Skip.IfNot(TokenizerScript.Available, TokenizerScript.Why);
        using var world = new SyntheticWorld();
        var shards = world.Shards(Split.Train, 60);
        using var temp = new TempFolder();
        try
        {
            var (code, stdout, stderr) = TokenizerScript.Run(shards, temp.Path, 600);
            Assert.True(code == 0, stderr);
            Assert.Contains("\"<Img>\": 3", stdout);
            var model = temp["tokenizer.model"];
            var tokenizer = TextTokenizers.LoadLlama(model);
            Assert.Equal(600, tokenizer.VocabularySize);
            var captions = Enumerable.Range(0, 60).Select(i => world.Scene(Split.Train, i)).SelectMany(s => new[] { s.Record.CaptionEn, s.Record.CaptionZh })
                .Concat(["</Img> name:", "a <Img>", "</Img> is eating pizza", "一只<Img>"]).ToList();
            var reference = TokenizerScript.Encode(model, captions);
            for (var i = 0; i < captions.Count; i++)
            {
                Assert.Equal(reference[i], tokenizer.Encode(captions[i], addBos: false));
                Assert.Equal(captions[i], tokenizer.Decode(tokenizer.Encode(captions[i])));
            }
        }
        finally { Directory.Delete(shards, recursive: true); }
    }

    [Fact]
    public void The_shipped_tokenizer_has_the_LLMs_vocabulary_and_single_piece_markers()
    {
        var tokenizer = TextTokenizers.LoadLlama(Shipped);
        Assert.Equal(MiniConfigs.VocabSize, tokenizer.VocabularySize);
        Assert.Equal((0, 1, 2), (tokenizer.UnkId, tokenizer.BosId, tokenizer.EosId));
        Assert.Equal([1682, 3], tokenizer.Encode(MllmTasks.ImageOpen, addBos: false));   // "▁", "<Img>"
        Assert.Equal([1682, 4], tokenizer.Encode(MllmTasks.ImageClose, addBos: false));
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Root, "tests", "data", "mini-tokenizer", "tokenizer.model")), File.ReadAllBytes(Shipped));
    }

    [Fact]
    public void Entity_name_spans_map_to_the_tokens_that_cover_them()
    {
        // Character spans of names (EmojiWorld's span_en) cover whole tokens in English: decoding the prefix up to
        // each token boundary gives the character offset, and the name's tokens decode to the name.
        var tokenizer = TextTokenizers.LoadLlama(Shipped);
        const string caption = "a dog wearing a top hat is eating pizza";
        var ids = tokenizer.Encode(caption, addBos: false);
        var ends = Enumerable.Range(1, ids.Length).Select(n => tokenizer.Decode(ids[..n]).Length).ToArray();
        foreach (var name in new[] { "dog", "top hat", "pizza" })
        {
            var start = caption.IndexOf(name, StringComparison.Ordinal);
            var first = Array.FindIndex(ends, e => e > start);
            var last = Array.FindIndex(ends, e => e >= start + name.Length);
            Assert.Equal(name, tokenizer.Decode(ids[first..(last + 1)]));
        }
    }
}
