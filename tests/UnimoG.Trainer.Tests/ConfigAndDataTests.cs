using System.Text.Json.Nodes;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;
using UnimoG.Trainer.Tests.Support;
using UnimoG.Data.Config;

namespace UnimoG.Trainer.Tests;

public class ConfigAndDataTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    private static string Mutate(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(World.Config("/tmp/x"))!.AsObject();
        change(json);
        return json.ToJsonString();
    }

    [Theory]
    [InlineData("phases[0].learning_rate", "learning_rate", "\"fast\"")]
    [InlineData("optimizer.weight_decay", "weight_decay", "-1")]
    [InlineData("lr_schedule.kind", "kind", "\"linear\"")]
    [InlineData("batch_size", "batch_size", "0")]
    [InlineData("condition_dropout", "condition_dropout", "1.5")]
    [InlineData("attention_loss.tokens", "tokens", "\"median\"")]
    [InlineData("lerning_rate", "lerning_rate", "1")]
    public void A_bad_value_names_its_key(string key, string field, string value)
    {
        var json = Mutate(j =>
        {
            var node = JsonNode.Parse(value);
            switch (key.Split('.')[0])
            {
                case "phases[0]": j["phases"]![0]![field] = node; break;
                case "optimizer": j["optimizer"]![field] = node; break;
                case "lr_schedule": j["lr_schedule"] = new JsonObject { [field] = node }; break;
                case "attention_loss": j["attention_loss"] = new JsonObject { ["lambda"] = 1, [field] = node }; break;
                default: j[field] = node; break;
            }
        });
        var e = Assert.Throws<ConfigException>(() => TinyWorld.Parse(json));
        Assert.Equal(key, e.Key);
        Assert.StartsWith($"training config: {key}: ", e.Message);
    }

    [Fact]
    public void Missing_essentials_are_named()
    {
        Assert.Equal("phases", Assert.Throws<ConfigException>(() => TinyWorld.Parse(Mutate(j => j.Remove("phases")))).Key);
        Assert.Equal("model.unet", Assert.Throws<ConfigException>(() => TinyWorld.Parse(Mutate(j => j["model"] = new JsonObject { ["vae"] = "v" }))).Key);
        Assert.Equal("conditions.cache", Assert.Throws<ConfigException>(() => TinyWorld.Parse(Mutate(j => j["conditions"] = new JsonObject { ["source"] = "cache" }))).Key);
        Assert.Equal("mixed_precision", Assert.Throws<ConfigException>(() => TinyWorld.Parse(Mutate(j => j["mixed_precision"] = "bf16"))).Key);
        Assert.Equal("phases[0].data.path", Assert.Throws<ConfigException>(() => TinyWorld.Parse(Mutate(j => j["phases"]![0]!.AsObject().Remove("data")))).Key);
        var notJson = Assert.Throws<ConfigException>(() => TinyWorld.Parse("{ not json"));
        Assert.Equal("", notJson.Key);
        Assert.StartsWith("training config: not valid JSON at line 1, column 3: ", notJson.Message);
    }

    [Fact]
    public void Defaults_follow_the_paper()
    {
        var c = TinyWorld.Parse(Mutate(j => { j.Remove("optimizer"); j.Remove("ema"); }));
        Assert.Equal(0.01, c.Optimizer.WeightDecay);
        Assert.Equal(0.1, c.ConditionDropout);
        Assert.Equal([0.5, 0.75, 1.0, 1.5, 2.0], c.Buckets);
        Assert.Equal(0.1, c.Phases[0].Data.TextOnlyShare);
        Assert.Equal(64, c.Hash().Length);
    }

    [Fact]
    public void COCO_RLE_decodes_column_major_runs()
    {
        // 2x3 image, column-major: col0 = (0,1), col1 = (1,1), col2 = (0,0) -> counts [1, 3, 2]
        var rle = new CocoRle(2, 3, [1, 3, 2]);
        Assert.Equal([0f, 1f, 0f, 1f, 1f, 0f], rle.Decode());   // row-major: row0 = 0 1 0, row1 = 1 1 0
        Assert.Equal([1L, 3L, 2L], CocoRle.Encode(rle.Decode(), 2, 3).Counts);
        Assert.Throws<InvalidDataException>(() => new CocoRle(2, 3, [1, 9]).Decode());
    }

    [Fact]
    public void Buckets_have_the_papers_ratios_and_batches_never_mix_them()
    {
        var b = new AspectBuckets([0.5, 0.75, 1.0, 1.5, 2.0], 256, 64);
        Assert.Equal(["192x384", "192x320", "256x256", "320x192", "384x192"], b.All.Select(x => $"{x.Width}x{x.Height}"));
        Assert.Equal(2.0, b.For(1000, 480).Ratio);
        Assert.Equal(1.0, b.For(500, 480).Ratio);
        Assert.Equal(0.5, b.For(100, 300).Ratio);

        var bucketOf = Enumerable.Range(0, 101).Select(i => i % 3).ToArray();
        var batches = EpochPlan.Batches(bucketOf, 4, seed: 1, phase: 0, epoch: 0);
        Assert.All(batches, batch => Assert.Single(batch.Select(i => bucketOf[i]).Distinct()));
        Assert.Equal(24, batches.Count);                                           // 34/33/34 per bucket -> 8 full batches each
        Assert.Equal(batches.SelectMany(x => x).Count(), batches.SelectMany(x => x).Distinct().Count());
        Assert.Equal(batches.Select(x => string.Join(",", x)), EpochPlan.Batches(bucketOf, 4, 1, 0, 0).Select(x => string.Join(",", x)));
        Assert.NotEqual(batches.Select(x => string.Join(",", x)), EpochPlan.Batches(bucketOf, 4, 1, 0, 1).Select(x => string.Join(",", x)));
    }

    [Fact]
    public void Both_data_formats_read()
    {
        var s1 = Datasets.Load(new DataSettings { Kind = "emojiworld", Path = World.Stage1Data, Caption = "zh" });
        Assert.Equal(12, s1.Count);
        Assert.EndsWith("方块", s1[0].Caption);
        Assert.Null(s1[0].Multimodal);
        var wide = Datasets.Load(new DataSettings { Kind = "emojiworld", Path = World.Stage1Wide });
        Assert.Equal((32, 16), (wide[1].Width, wide[1].Height));
        var s2 = Datasets.Load(new DataSettings { Kind = "prepared", Path = World.Stage2Data, Limit = 3 });
        Assert.Equal(3, s2.Count);
        Assert.Equal(2, s2[0].Images.Count);
        Assert.StartsWith("a <img1> and a <img2>", s2[0].Describe(false));
        Assert.Equal(36f, s2[0].Images[1].Mask.Decode().Sum());   // the second square is drawn last: never occluded
        Assert.Equal(s2[0].Key + "#caption", s2[0].ConditionKey(true));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => Datasets.Load(new DataSettings { Path = "/nonexistent/data" }));
        Assert.Contains("/nonexistent/data", missing.Message);
    }
}
