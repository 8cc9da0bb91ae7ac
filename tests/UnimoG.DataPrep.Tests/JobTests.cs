using System.Text.Json;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Engines.DataPrep.Shards;
using UnimoG.Imaging;

namespace UnimoG.DataPrep.Tests;

/// <summary>The batch job end to end: real photos, corrupt inputs, a crash and a resume.</summary>
public sealed class JobTests : IDisposable
{
    private readonly GroundingDino _dino = new(TestData.GroundingModel, TestData.Vocab);
    private readonly SamSegmenter _sam = new(TestData.SamEncoder, TestData.SamDecoder);

    public void Dispose()
    {
        _dino.Dispose();
        _sam.Dispose();
    }

    private PrepPipeline SamPipeline(long seed = 0, double replace = 0.5) =>
        new(new PrepOptions { Seed = seed, ReplaceRate = replace, Masks = MaskMode.Sam }, new MetadataEntityExtractor(), _dino, _sam);

    private static (string, byte[]) Json(string key, string json) => ($"{key}.json", TestData.Utf8(json));
    private static (string, byte[]) Txt(string key, string text) => ($"{key}.txt", TestData.Utf8(text));

    /// <summary>Photos of MultiBench (read from ../shared, never copied into the repository) with captions from its templates.</summary>
    private static readonly (string Key, string Path, string Caption, string Entities)[] Photos =
    [
        ("dog", "living/dog.jpg", "a dog sitting on the grass", "[\"dog\"]"),
        ("cat", "living/cat.jpg", "a photo of a cat", "[\"cat\"]"),
        ("pizza", "food/pizza.jpeg", "a pizza on a table", "[\"pizza\"]"),
        ("sushi", "food/sushi.jpeg", "sushi on a plate", "[\"sushi\"]"),
        ("cap", "wearing/cap.png", "a red cap", "[{\"phrase\": \"red cap\", \"grounding\": \"cap\"}]"),
        ("glasses", "wearing/glasses.png", "a pair of glasses", "[\"glasses\"]"),
        ("duck", "toy/duck_toy.jpg", "a duck toy", "[\"duck toy\"]"),
        ("suit", "wearing/suit3.webp", "a man's suit", "[\"suit\"]"),
    ];

    private static Dictionary<string, byte[]> WritePhotoShards(string dir)
    {
        var images = new Dictionary<string, byte[]>();
        var shard = new List<(string, byte[])>();
        foreach (var (key, path, caption, entities) in Photos)
        {
            var bytes = File.ReadAllBytes(TestData.MultiBench(path));
            var ext = Path.GetExtension(path).TrimStart('.');
            images[key] = bytes;
            shard.AddRange([($"{key}.{ext}", bytes), Txt(key, caption), Json(key, $"{{\"entities\": {entities}}}")]);
        }
        // A two-entity scene: the dog photo and the pizza photo side by side (made here, as PNG).
        var dog = ImageDecoder.Decode(images["dog"], new ImageLimits { MaxPixels = 1 << 24 });
        var pizza = ImageDecoder.Decode(images["pizza"], new ImageLimits { MaxPixels = 1 << 24 });
        var (w, h) = (dog.Width + pizza.Width, Math.Max(dog.Height, pizza.Height));
        var px = new byte[w * h * 4];
        for (var y = 0; y < h; y++)
        {
            if (y < dog.Height) Buffer.BlockCopy(dog.Rgba, y * dog.Width * 4, px, y * w * 4, dog.Width * 4);
            if (y < pizza.Height) Buffer.BlockCopy(pizza.Rgba, y * pizza.Width * 4, px, (y * w + dog.Width) * 4, pizza.Width * 4);
        }
        var scene = PngEncoder.Encode(new DecodedImage(w, h, px, hasAlpha: false));
        images["dogpizza"] = scene;
        shard.AddRange([("dogpizza.png", scene), Txt("dogpizza", "a dog is eating pizza"),
            Json("dogpizza", """{"entities": ["dog", "pizza"]}""")]);
        TestData.WriteTar(Path.Combine(dir, "photos-000.tar"), shard);
        return images;
    }

    [Fact]
    public async Task Real_photos_become_valid_multimodal_samples()
    {
        using var tmp = new TestData.TempDir();
        var images = WritePhotoShards(tmp.Sub("in"));
        var summary = await new PrepJob(SamPipeline(replace: 1.0)).RunAsync(tmp.Sub("in"), tmp.Sub("out"), workers: 2);
        Assert.Equal((1, 0, 9, 0), (summary.ShardsPrepared, summary.ShardsSkipped, summary.Samples, summary.Errors));
        var records = ShardValidator.Validate(tmp.Sub("out/photos-000.tar"), images);
        Assert.Equal(9, records.Count);
        // Every entity was grounded (tiny model: the box of the pixels of its phrase's colour class) and segmented.
        Assert.All(records, r => Assert.Empty(r.Dropped));
        Assert.All(records.SelectMany(r => r.Entities), e =>
        {
            Assert.Equal("grounding", e.BoxSource);
            Assert.Equal("sam", e.MaskSource);
        });
        var two = records.Single(r => r.Key == "dogpizza");
        Assert.Equal(["dog", "pizza"], two.Entities.Select(e => e.Phrase));
        Assert.Equal("red cap", records.Single(r => r.Key == "cap").Entities.Single().Phrase);
        Assert.Equal("cap", records.Single(r => r.Key == "cap").Entities.Single().GroundingPhrase);
        // Replace rate 1 and text-only share 0.1: the multimodal samples replace every entity.
        Assert.All(records.Where(r => !r.TextOnly), r => Assert.All(r.Entities, e => Assert.True(e.Replaced)));
    }

    [Fact]
    public async Task Corrupt_inputs_are_recorded_with_their_reason_and_skipped()
    {
        using var tmp = new TestData.TempDir();
        var dog = File.ReadAllBytes(TestData.MultiBench("living", "dog.jpg"));
        var good = PngEncoder.Encode(TestData.Scene(60, 40, (10, 10, 30, 30, 255, 0, 0)));
        TestData.WriteTar(tmp.Sub("in/bad-000.tar"),
        [
            ("truncated.jpg", dog[..(dog.Length / 2)]), Txt("truncated", "a dog"), Json("truncated", """{"entities": ["dog"]}"""),
            ("garbage.png", Enumerable.Range(0, 500).Select(i => (byte)(i * 7)).ToArray()), Txt("garbage", "a red square"),
            ("nocaption.png", good), Json("nocaption", """{"entities": ["square"]}"""),
            ("empty.png", good), Txt("empty", "   "),
            ("binary.png", good), ("binary.txt", [0xC3, 0x28, 0x41]),
            ("badjson.png", good), Txt("badjson", "a red square"), ("badjson.json", TestData.Utf8("{\"entities\": [")),
            ("notincaption.png", good), Txt("notincaption", "a red square"), Json("notincaption", """{"entities": ["cat"]}"""),
            ("noimage.txt", TestData.Utf8("a caption without image")),
            ("ok.png", good), Txt("ok", "a red square"), Json("ok", """{"entities": ["red square"]}"""),
            ("garbage.txt", TestData.Utf8("again")), // the key reappears after other samples
        ]);
        // A second shard cut in the middle of a member: the samples before the cut survive.
        var whole = tmp.Sub("whole.tar");
        TestData.WriteTar(whole, [("a.png", good), Txt("a", "a red square"), Json("a", """{"entities": ["red square"]}"""),
            ("b.png", good), Txt("b", "a red square"), Json("b", """{"entities": ["red square"]}""")]);
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(tmp.Sub("in/cut-000.tar"), bytes[..(bytes.Length - 1500)]);

        var summary = await new PrepJob(SamPipeline()).RunAsync(tmp.Sub("in"), tmp.Sub("out"), workers: 1);
        Assert.Equal(2, summary.ShardsPrepared);
        var index = JsonSerializer.Deserialize<ShardIndex>(File.ReadAllBytes(tmp.Sub("out/bad-000.index.json")), UnimoG.Engines.DataPrep.Shards.Json.Options)!;
        Assert.Equal(["ok"], index.Keys);
        var reasons = index.Errors.GroupBy(e => e.Key!).ToDictionary(g => g.Key, g => g.First().Reason);
        Assert.Contains("truncated", reasons["truncated"]);
        Assert.Contains("not a decodable image", reasons["garbage"]);
        Assert.Contains("no caption member (nocaption.txt)", reasons["nocaption"]);
        Assert.Contains("caption (.txt) is empty", reasons["empty"]);
        Assert.Contains("not valid UTF-8", reasons["binary"]);
        Assert.Contains("not valid JSON", reasons["badjson"]);
        Assert.Contains("\"cat\" does not occur", reasons["notincaption"]);
        Assert.Contains("no image member", reasons["noimage"]);
        Assert.Equal(8, reasons.Count);
        Assert.Contains(index.Errors, e => e.Key == "garbage" && e.Reason.Contains("appears again"));
        ShardValidator.Validate(tmp.Sub("out/bad-000.tar"));

        var cut = JsonSerializer.Deserialize<ShardIndex>(File.ReadAllBytes(tmp.Sub("out/cut-000.index.json")), UnimoG.Engines.DataPrep.Shards.Json.Options)!;
        Assert.Contains(cut.Errors, e => e.Key is null && e.Reason.Contains("malformed tar"));
        Assert.Contains("a", cut.Keys);
        ShardValidator.Validate(tmp.Sub("out/cut-000.tar"));
    }

    private static void WriteSmallShards(string dir, int shards, int perShard)
    {
        for (var s = 0; s < shards; s++)
        {
            var members = new List<(string, byte[])>();
            for (var i = 0; i < perShard; i++)
            {
                var key = $"s{s}k{i}";
                var x = 5 + (i * 7 + s * 13) % 30;
                members.AddRange([($"{key}.png", PngEncoder.Encode(TestData.Scene(64, 48, (x, 8, x + 20, 30, 255, 0, 0), (2, 34, 60, 46, 0, 0, 255)))),
                    Txt(key, "a red square next to a blue ball"), Json(key, """{"entities": ["red square", "blue ball"]}""")]);
            }
            TestData.WriteTar(Path.Combine(dir, $"part-{s:000}.tar"), members);
        }
    }

    [Fact]
    public async Task A_killed_run_leaves_no_partial_shard_visible_and_resumes_to_identical_output()
    {
        using var tmp = new TestData.TempDir();
        WriteSmallShards(tmp.Sub("in"), shards: 3, perShard: 4);

        // Reference: one uninterrupted run.
        await new PrepJob(SamPipeline(seed: 5)).RunAsync(tmp.Sub("in"), tmp.Sub("ref"), workers: 1);

        // Interrupted run: cancelled in the middle of the second shard (6th sample).
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.SamplesDone == 6) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new PrepJob(SamPipeline(seed: 5)).RunAsync(tmp.Sub("in"), tmp.Sub("out"), workers: 1, progress, cts.Token));
        var visible = Directory.GetFiles(tmp.Sub("out")).Select(p => Path.GetFileName(p)!).Order().ToArray();
        Assert.Equal(["part-000.index.json", "part-000.tar"], visible);

        // What a hard kill can leave behind: a .partial tar, and a renamed tar whose index was never written.
        File.WriteAllBytes(tmp.Sub("out/part-001.tar.partial"), [1, 2, 3]);
        File.Copy(tmp.Sub("ref/part-002.tar"), tmp.Sub("out/part-002.tar"));
        File.WriteAllBytes(tmp.Sub("out/part-002.tar"), File.ReadAllBytes(tmp.Sub("out/part-002.tar"))[..1024]);
        var finishedBefore = File.GetLastWriteTimeUtc(tmp.Sub("out/part-000.tar"));

        var summary = await new PrepJob(SamPipeline(seed: 5)).RunAsync(tmp.Sub("in"), tmp.Sub("out"), workers: 2);
        Assert.Equal((2, 1, 12), (summary.ShardsPrepared, summary.ShardsSkipped, summary.Samples));
        Assert.Equal(finishedBefore, File.GetLastWriteTimeUtc(tmp.Sub("out/part-000.tar"))); // skipped, untouched
        Assert.Empty(Directory.GetFiles(tmp.Sub("out"), "*.partial"));
        foreach (var name in Directory.GetFiles(tmp.Sub("ref")).Select(p => Path.GetFileName(p)!))
            Assert.Equal(File.ReadAllBytes(tmp.Sub("ref/" + name)), File.ReadAllBytes(tmp.Sub("out/" + name)));
        for (var s = 0; s < 3; s++)
            ShardValidator.Validate(tmp.Sub($"out/part-{s:000}.tar"));
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<PrepProgress> report) : IProgress<PrepProgress>
    {
        public void Report(PrepProgress value) => report(value);
    }

    [Fact]
    public async Task Alpha_mode_takes_masks_from_layers_or_the_scene_alpha()
    {
        using var tmp = new TestData.TempDir();
        // Scene 48x32: an opaque disc (the ball) on a transparent background; no grounding model at all.
        var (w, h) = (48, 32);
        var scene = new byte[w * h * 4];
        var disc = new bool[w * h];
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var i = y * w + x;
            disc[i] = (x - 30) * (x - 30) + (y - 15) * (y - 15) <= 64;
            scene[i * 4] = 200; scene[i * 4 + 3] = disc[i] ? (byte)255 : (byte)0;
        }
        var scenePng = PngEncoder.Encode(new DecodedImage(w, h, scene, hasAlpha: true));
        // Two overlapping entities as layers: a cat (left half of the disc region widened) and a hat (top rows).
        DecodedImage Layer(Func<int, int, bool> inside)
        {
            var px = new byte[w * h * 4];
            for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
                px[(y * w + x) * 4 + 3] = inside(x, y) ? (byte)255 : (byte)0;
            return new DecodedImage(w, h, px, hasAlpha: true);
        }
        var cat = Layer((x, y) => x is >= 4 and < 20 && y is >= 10 and < 30);
        var hat = Layer((x, y) => x is >= 6 and < 18 && y is >= 4 and < 12);
        var opaque = PngEncoder.Encode(TestData.Scene(w, h, (4, 4, 20, 30, 0, 255, 0)));
        TestData.WriteTar(tmp.Sub("in/alpha-000.tar"),
        [
            ("ball.png", scenePng), Txt("ball", "a blue ball"), Json("ball", """{"entities": ["blue ball"]}"""),
            ("cathat.png", opaque), Txt("cathat", "a cat wearing a hat"), Json("cathat", """{"entities": ["cat", "hat"]}"""),
            ("cathat.layer0.png", PngEncoder.Encode(cat)), ("cathat.layer1.png", PngEncoder.Encode(hat)),
            ("noalpha.png", opaque), Txt("noalpha", "a cat"), Json("noalpha", """{"entities": [{"phrase": "cat", "box": [0, 0, 10, 10]}]}"""),
        ]);
        var pipeline = new PrepPipeline(new PrepOptions { Masks = MaskMode.Alpha, ReplaceRate = 1, TextOnlyShare = 0 },
            new MetadataEntityExtractor());
        await new PrepJob(pipeline).RunAsync(tmp.Sub("in"), tmp.Sub("out"), workers: 1);
        var records = ShardValidator.Validate(tmp.Sub("out/alpha-000.tar"));
        var ball = records.Single(r => r.Key == "ball").Entities.Single();
        Assert.Equal(disc, Mask.FromCocoRle(w, h, ball.Mask.Counts).Data);
        Assert.Equal(new[] { 22f, 7f, 39f, 24f }, ball.Box); // the disc's pixel bounds
        Assert.Equal(("alpha", "alpha"), (ball.BoxSource, ball.MaskSource));
        var cathat = records.Single(r => r.Key == "cathat");
        Assert.Equal(cat.Rgba.Where((_, i) => i % 4 == 3).Select(a => a == 255),
            Mask.FromCocoRle(w, h, cathat.Entities[0].Mask.Counts).Data);
        Assert.Equal(hat.Rgba.Where((_, i) => i % 4 == 3).Select(a => a == 255),
            Mask.FromCocoRle(w, h, cathat.Entities[1].Mask.Counts).Data);
        Assert.Equal("<img1> wearing a <img2>", cathat.Prompt[2..]);
        var index = JsonSerializer.Deserialize<ShardIndex>(File.ReadAllBytes(tmp.Sub("out/alpha-000.index.json")), UnimoG.Engines.DataPrep.Shards.Json.Options)!;
        Assert.Contains("no alpha channel", index.Errors.Single(e => e.Key == "noalpha").Reason);
    }

    [Fact]
    public async Task The_pipeline_streams_prepared_samples_for_online_use()
    {
        var pipeline = new PrepPipeline(new PrepOptions { Masks = MaskMode.Box, ReplaceRate = 1, TextOnlyShare = 0 },
            new EnglishNounPhrases(), _dino);
        static async IAsyncEnumerable<RawSample> Source()
        {
            var png = PngEncoder.Encode(TestData.Scene(64, 48, (5, 5, 25, 25, 255, 0, 0), (30, 20, 60, 40, 0, 0, 255)));
            yield return new RawSample("one", new Dictionary<string, byte[]> { ["png"] = png, ["txt"] = TestData.Utf8("a red square and a blue ball") });
            await Task.Yield();
            yield return new RawSample("two", new Dictionary<string, byte[]> { ["txt"] = TestData.Utf8("no image") });
        }
        var results = new List<PrepResult>();
        await foreach (var r in pipeline.PrepareAsync(Source()))
            results.Add(r);
        Assert.Equal(["one", "two"], results.Select(r => r.Key));
        var one = results[0].Record!;
        Assert.Equal("a <img1> and a <img2>", one.Prompt);
        Assert.Equal(["one.png", "one.json", "one.0.png", "one.1.png"], results[0].Members.Select(m => m.Name));
        Assert.Equal(("grounding", "box"), (one.Entities[0].BoxSource, one.Entities[0].MaskSource));
        Assert.Contains("no image member", results[1].Error);
    }
}
