using System.Text.Json;
using UnimoG.Engines.DataPrep.Entities;

namespace UnimoG.DataPrep.Tests;

public class EntityTests
{
    private static string[] En(string caption) =>
        new EnglishNounPhrases().Extract(caption).Select(e => e.Phrase).ToArray();

    [Theory]
    [InlineData("a dog wearing a red scarf is eating pizza on the beach", "dog|red scarf|pizza|beach")]
    [InlineData("A photo of a cat playing with a ball of yarn.", "cat|ball|yarn")]
    [InlineData("two men drink coffee in a park next to a wrist watch shop", "men|coffee|park|wrist watch shop")]
    [InlineData("a man's hat and a woman's red dress", "man|hat|woman|red dress")]
    [InlineData("a stuffed bear sitting on a bed", "stuffed bear|bed")]
    [InlineData("a girl dressed in a t-shirt holds a butterfly", "girl|t-shirt|butterfly")]
    [InlineData("teddy bear, ice cream and a golden retriever in front of the building", "teddy bear|ice cream|golden retriever|building")]
    [InlineData("the dog is brown", "dog")]
    public void English_rules_find_the_noun_phrases(string caption, string expected) =>
        Assert.Equal(expected.Split('|'), En(caption));

    [Fact]
    public void English_spans_point_into_the_caption()
    {
        const string caption = "A dog wearing a red scarf";
        var e = new EnglishNounPhrases().Extract(caption);
        Assert.Equal([(2, 5), (16, 25)], e.Select(m => (m.Start, m.End)));
        Assert.All(e, m => Assert.Equal(m.Phrase, caption[m.Start..m.End]));
    }

    [Theory]
    [InlineData("一只戴着红色围巾的狗在吃披萨", "红色围巾|狗|披萨")]
    [InlineData("一只猫在桌子上玩玩具", "猫|桌子|玩具")]
    [InlineData("红色的帽子和一个背包", "帽子|背包")]
    [InlineData("狗的帽子", "狗|帽子")]
    [InlineData("穿着和服的女孩，背景是樱花", "和服|女孩|樱花")]
    public void Chinese_rules_find_the_noun_phrases(string caption, string expected)
    {
        var found = new ChineseNounPhrases().Extract(caption);
        Assert.Equal(expected.Split('|'), found.Select(e => e.Phrase));
        Assert.All(found, m => Assert.Equal(m.Phrase, caption[m.Start..m.End]));
    }

    private static JsonElement Meta(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Metadata_entities_are_located_or_taken_as_given()
    {
        const string caption = "a dog wearing a red scarf next to another dog";
        var e = MetadataEntityExtractor.Parse(caption, Meta(
            """{"entities": ["dog", {"phrase": "red scarf", "grounding": "scarf", "box": [1, 2, 30, 40]}, {"phrase": "dog", "start": 42, "end": 45}]}"""));
        Assert.Equal([("dog", 2), ("red scarf", 16), ("dog", 42)], e.Select(m => (m.Phrase, m.Start)));
        Assert.Equal("scarf", e[1].GroundingPhrase);
        Assert.Equal(new BoxXyxy(1, 2, 30, 40), e[1].Box);
        // A second plain "dog" takes the next free occurrence.
        var twice = MetadataEntityExtractor.Parse(caption, Meta("""{"entities": ["dog", "dog"]}"""));
        Assert.Equal([2, 42], twice.Select(m => m.Start));
    }

    [Theory]
    [InlineData("""{"entities": ["cat"]}""", "entities[0]: \"cat\" does not occur")]
    [InlineData("""{"entities": [{"phrase": "dog", "start": 0, "end": 3}]}""", "caption[0:3] is \"a d\"")]
    [InlineData("""{"entities": [{"phrase": "dog", "box": [5, 5, 1, 1]}]}""", "entities[0].box")]
    [InlineData("""{"entities": [{"phrase": "dog", "start": 2}]}""", "give both start and end")]
    [InlineData("""{"entities": [3]}""", "must be a string or an object")]
    [InlineData("""{"caption": "x"}""", "no \"entities\" list")]
    public void Bad_metadata_is_reported_with_the_field(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => MetadataEntityExtractor.Parse("a dog", Meta(json)));
        Assert.Contains(message, e.Message);
    }

    /// <summary>A scripted generator: records prompts, answers from a table (a test double, not a model).</summary>
    private sealed class ScriptedGenerator(string caption, string list) : IImageTextGenerator
    {
        public List<string> Prompts { get; } = [];
        public int ImageBytes { get; private set; }

        public string Generate(string prompt, int maxNewTokens, CancellationToken ct = default)
        {
            Prompts.Add(prompt);
            return list;
        }

        public string Generate(ReadOnlyMemory<byte> encodedImage, string prompt, int maxNewTokens, CancellationToken ct = default)
        {
            Prompts.Add(prompt);
            ImageBytes = encodedImage.Length;
            return caption;
        }
    }

    [Fact]
    public async Task MLLM_extractor_prompts_with_the_caption_and_parses_a_list_reply()
    {
        var gen = new ScriptedGenerator("", "1. dog\n2. Red Scarf\n- pizza.\n* \"beach\"\nsurfboard\nObjects: none");
        var x = new MllmEntityExtractor(gen);
        var r = await x.ExtractAsync(new EntityRequest("k", "a dog wearing a red scarf eats pizza on the beach", null, [1, 2]), default);
        Assert.Contains("Sentence: a dog wearing a red scarf eats pizza on the beach\nObjects:", gen.Prompts.Single());
        Assert.Equal(["dog", "red scarf", "pizza", "beach"], r.Entities.Select(e => e.Phrase)); // surfboard is not in the caption
        Assert.Equal("input", r.CaptionSource);
    }

    [Fact]
    public async Task MLLM_extractor_can_write_the_caption_from_the_image()
    {
        var gen = new ScriptedGenerator("A cat sleeping on a sofa.\nExtra line", "cat, sofa");
        var x = new MllmEntityExtractor(gen) { Recaption = true };
        var r = await x.ExtractAsync(new EntityRequest("k", "ignored", null, new byte[17]), default);
        Assert.Equal("A cat sleeping on a sofa.", r.Caption);
        Assert.Equal("mllm", r.CaptionSource);
        Assert.Equal(17, gen.ImageBytes);
        Assert.Equal("Describe this image in one sentence.", gen.Prompts[0]);
        Assert.Equal(["cat", "sofa"], r.Entities.Select(e => e.Phrase));
        // Chinese captions get the Chinese template; "、" separates items.
        var zh = new ScriptedGenerator("", "狗、围巾");
        var rz = await new MllmEntityExtractor(zh).ExtractAsync(new EntityRequest("k", "一只戴着围巾的狗", null, []), default);
        Assert.StartsWith("列出", zh.Prompts.Single());
        Assert.Equal(["围巾", "狗"], rz.Entities.Select(e => e.Phrase));
    }
}
