using System.Text.Json.Nodes;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary><c>unimog encode-dataset</c> writes the condition and latent caches a training config then trains from.</summary>
public class EncodeDatasetCommandTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    [Fact]
    public void Unimog_encode_dataset_writes_the_caches_a_config_trains_from()
    {
        var dir = TinyWorld.TempDir("cli-cache");
        var json = JsonNode.Parse(World.Config(Path.Combine(dir, "run"), steps: 2))!.AsObject();
        json["conditions"] = new JsonObject { ["source"] = "cache", ["cache"] = Path.Combine(dir, "conditions"), ["encoder"] = World.Mllm };
        json["latent_cache"] = Path.Combine(dir, "latents");
        var file = Path.Combine(dir, "config.json");
        // Regression: with a // comment encode-dataset aborted with an unhandled JsonReaderException (the hash re-read the text).
        File.WriteAllText(file, "// caches for the tiny world\n" + json.ToJsonString(new() { WriteIndented = true }).Replace("\"seed\"", "/* fixed */ \"seed\""));
        var (code, output, err) = Unimog.Run("encode-dataset", "--config", file, "--batch", "5");
        Assert.True(code == 0, err);
        Assert.Contains("wrote 13 condition entries", output);   // 12 captions + the empty prompt
        Assert.Contains("and 12 latents", output);
        (code, output, err) = Unimog.Run("train", "--config", file);
        Assert.True(code == 0, err);
        Assert.Contains("condition cache", output);
        Assert.Contains("latent cache", output);
    }
}
