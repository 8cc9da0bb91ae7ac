using System.Text.Json.Nodes;
using UnimoG.Data.Config;
using UnimoG.Mini.Evaluators;
using UnimoG.TestSupport;

namespace UnimoG.Mini.Tests;

/// <summary>evaluators.json is read by the one config reader: the committed one reads and writes back equal; a mistake names its key.</summary>
public class EvaluatorManifestTests
{
    private static readonly string Committed = Path.Combine(RepoPaths.Root, "models", "emojibench-evaluators", EvaluatorManifest.FileName);

    [Fact]
    public void The_committed_manifest_reads_and_writes_back_equal()
    {
        var manifest = ConfigJson.Read<EvaluatorManifest>(Committed);
        var file = JsonNode.Parse(File.ReadAllText(Committed))!.AsObject();
        Assert.Equal(file["labels"]!.AsArray().Count, manifest.Labels.Length);
        Assert.Equal((int)file["classifier"]!["embed_dim"]!, manifest.Classifier.EmbedDim);
        var written = ConfigJson.Write(manifest);
        Assert.True(JsonNode.DeepEquals(file, JsonNode.Parse(written)));
        Assert.Equivalent(manifest, ConfigJson.Parse<EvaluatorManifest>(written, "written"), strict: true);
    }

    [Fact]
    public void A_missing_or_bad_key_is_named()
    {
        var file = JsonNode.Parse(File.ReadAllText(Committed))!.AsObject();
        file.Remove("labels");
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<EvaluatorManifest>(file.ToJsonString(), "evaluators.json"));
        Assert.Equal("evaluators.json: missing required key labels", e.Message);
        file = JsonNode.Parse(File.ReadAllText(Committed))!.AsObject();
        file["clip_text"]!["num_attention_heads"] = 3;
        Assert.Equal("clip_text.num_attention_heads", Assert.Throws<ConfigException>(() => ConfigJson.Parse<EvaluatorManifest>(file.ToJsonString(), "evaluators.json")).Key);
    }
}
