using System.Text.Json.Nodes;
using UnimoG.Data.Config;
using UnimoG.Engines.Trainer.Config;
using UnimoG.TestSupport;

namespace UnimoG.Trainer.Tests;

/// <summary>The training config as a record read by ConfigJson: the examples, its hash, writing it back, its defaults and errors.</summary>
public class TrainingConfigTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    private static string Mutate(Action<JsonObject> change)
    {
        var json = JsonNode.Parse(World.Config("/tmp/x"))!.AsObject();
        change(json);
        return json.ToJsonString();
    }

    [Theory]
    [InlineData("train-stage1.json")]
    [InlineData("train-stage2.json")]
    public void The_example_configs_with_comments_read_and_hash(string name)
    {
        // Regression: the examples carry // comments; Hash() parsed the raw text again without skipping them, so
        // `unimog encode-dataset` aborted (JsonReaderException) and `unimog train` crashed at its first checkpoint.
        var path = Path.Combine(RepoPaths.Root, "docs", "examples", name);
        Assert.Contains("//", File.ReadAllText(path));
        var config = TrainingConfig.Load(path);
        Assert.Matches("^[0-9a-f]{64}$", config.Hash());
        Assert.Equal(path, config.File);
        Assert.Equal(Path.GetFullPath(Path.Combine(RepoPaths.Root, "runs", name == "train-stage1.json" ? "mini-stage1" : "mini-stage2")), config.OutputDir);
        Assert.Equal(1000, config.Model.Scheduler!.Value.NumTrainTimesteps);
        Assert.Equal("scaled_linear", config.Model.Scheduler.Value.BetaSchedule);
        if (name == "train-stage1.json")
        {
            // model.unet_config names a file: its content is read (and checked) with the training config.
            var unet = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "examples", "mini-unet-config.json")))!;
            Assert.Equal(unet["block_out_channels"]!.AsArray().Select(n => (int)n!), config.Model.UNetConfig!.Value.BlockOutChannels);
            Assert.Equal(2e-4, config.Phases[0].LearningRate);
            Assert.Equal(["foundation", "expansion", "refinement"], config.Phases.Select(p => p.Name));
        }
    }

    [Theory]
    [InlineData("train-stage1.json")]
    [InlineData("train-stage2.json")]
    [InlineData("train-tiny-stage1.json")]
    [InlineData("train-tiny-stage2.json")]
    public void An_example_config_hashes_like_the_same_config_without_its_comments(string name)
    {
        var folder = Path.Combine(RepoPaths.Root, "docs", "examples");
        var path = Path.Combine(folder, name);
        var text = File.ReadAllText(path);
        Assert.Contains("//", text);
        // The same content without comments, by System.Text.Json's own reader (not ours), read from the same folder.
        var bare = JsonNode.Parse(text, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!.ToJsonString();
        Assert.DoesNotContain("//", bare);
        Assert.Equal(TrainingConfig.Parse(bare, folder, path).Hash(), TrainingConfig.Load(path).Hash());
    }

    [Fact]
    public void The_hash_is_of_the_config_not_of_its_text()
    {
        var json = JsonNode.Parse(World.Config("/tmp/hash"))!.AsObject();
        var hash = TinyWorld.Parse(json.ToJsonString()).Hash();

        // Comments, layout, key order and a default written out do not change what the run does, nor the hash.
        var reordered = new JsonObject(json.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        reordered["gradient_accumulation_steps"] = 1;
        var commented = "// a comment\n" + reordered.ToJsonString(new() { WriteIndented = true }).Replace("\"seed\"", "/* why */ \"seed\"");
        Assert.Equal(hash, TinyWorld.Parse(commented).Hash());

        // The U-Net config inline or in its file: the same content, the same hash.
        var inline = json.DeepClone().AsObject();
        inline["model"]!["unet_config"] = JsonNode.Parse(File.ReadAllText(World.UNetConfig));
        Assert.Equal(hash, TinyWorld.Parse(inline.ToJsonString()).Hash());

        var changed = json.DeepClone().AsObject();
        changed["seed"] = 6;
        Assert.NotEqual(hash, TinyWorld.Parse(changed.ToJsonString()).Hash());
    }

    [Fact]
    public void A_written_config_reads_back_equal()
    {
        var config = TinyWorld.Parse(World.Config("/tmp/written", stage: 2));
        var written = ConfigJson.Write(config);
        var again = TrainingConfig.Parse(written, "/elsewhere");   // paths are absolute once read
        Assert.Equal(written, ConfigJson.Write(again));
        // Written, a U-Net config read from a file is its content (what trains), not the file's name.
        var inline = config.Model with { UNetConfig = config.Model.UNetConfig! with { Path = null } };
        Assert.Equivalent(config with { File = "", Model = inline }, again with { File = "" }, strict: true);
        Assert.Equal(config.Hash(), again.Hash());
    }

    [Fact]
    public void Inline_configs_are_checked_and_errors_name_their_key_path()
    {
        var json = JsonNode.Parse(World.Config("/tmp/inline"))!.AsObject();
        json["model"]!["unet_config"] = JsonNode.Parse("""{"block_out_channels": [32, "x"]}""");
        var e = Assert.Throws<ConfigException>(() => TinyWorld.Parse(json.ToJsonString()));
        Assert.Equal("training config: model.unet_config.block_out_channels[1]: expected an integer, got \"x\"", e.Message);

        json["model"]!["unet_config"] = JsonNode.Parse("""{"attention_type": "gated"}""");
        Assert.Equal("model.unet_config.attention_type", Assert.Throws<ConfigException>(() => TinyWorld.Parse(json.ToJsonString())).Key);

        json["model"]!["unet_config"] = "no-such-unet-config.json";
        e = Assert.Throws<ConfigException>(() => TinyWorld.Parse(json.ToJsonString()));
        Assert.Equal("model.unet_config", e.Key);
        Assert.Contains("file not found", e.Message);

        // A file's own problem names that file.
        var file = Path.Combine(TinyWorld.TempDir("bad-unet"), "config.json");
        File.WriteAllText(file, """{"_class_name": "AutoencoderKL"}""");
        json["model"]!["unet_config"] = file;
        e = Assert.Throws<ConfigException>(() => TinyWorld.Parse(json.ToJsonString()));
        Assert.Equal((file, "_class_name"), (e.File, e.Key));
    }

    [Fact]
    public void A_misspelt_key_fails_where_it_is()
    {
        var json = JsonNode.Parse(World.Config("/tmp/misspelt"))!.AsObject();
        json["phases"]![0]!["data"]!["limt"] = 10;
        var e = Assert.Throws<ConfigException>(() => TinyWorld.Parse(json.ToJsonString()));
        Assert.Equal("phases[0].data.limt", e.Key);
        Assert.StartsWith("training config: phases[0].data.limt: unknown key (known: caption, kind, limit, path, text_only_share)", e.Message);

        json = JsonNode.Parse(World.Config("/tmp/misspelt"))!.AsObject();
        json["model"]!["scheduler"]!["beta_shedule"] = "linear";   // the inline scheduler is hand-written too
        Assert.Equal("model.scheduler.beta_shedule", Assert.Throws<ConfigException>(() => TinyWorld.Parse(json.ToJsonString())).Key);
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
        Assert.Equal("precision", Assert.Throws<ConfigException>(() => TinyWorld.Parse(Mutate(j => j["precision"] = "fp8"))).Key);
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
}
