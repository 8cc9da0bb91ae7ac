using System.Text.Json.Nodes;
using UnimoG.Data.Config;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Schedulers;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Config;

/// <summary>
/// Every config file diffusers and transformers wrote that we have (../shared/fixtures, tests/data) and every one of the
/// committed models reads into its record; each key the record declares holds the file's value, the others are kept
/// as ignored keys, and what is written reads back equal.
/// </summary>
public class ReferenceConfigFileTests
{
    public static TheoryData<string> Files()
    {
        var roots = new[] { RepoPaths.Fixtures("diffusers-a"), RepoPaths.Fixtures("diffusers-samplers-a"), Path.Combine(RepoPaths.Root, "tests", "data"), Path.Combine(RepoPaths.Root, "models") };
        var names = new[] { "config.json", "scheduler_config.json", "encoder_config.json", "preprocessor_config.json" };
        var data = new TheoryData<string>();
        foreach (var f in roots.SelectMany(r => Directory.GetFiles(r, "*.json", SearchOption.AllDirectories)).Where(f => names.Contains(Path.GetFileName(f))).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(RepoPaths.Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Reads_keeps_every_value_and_writes_back_equal(string relative)
    {
        var path = Path.GetFullPath(Path.Combine(RepoPaths.Root, relative));
        // The file as JSON for comparison; Python's bare -Infinity (DPM-Solver configs) as the string our reader keeps.
        var file = JsonNode.Parse(File.ReadAllText(path).Replace("-Infinity", "\"-Infinity\""))!.AsObject();
        var (written, again) = ReadAndWrite(path, file);
        Assert.Equal(written, again);
        var output = JsonNode.Parse(written)!.AsObject();
        foreach (var (key, value) in file)
        {
            Assert.True(output.ContainsKey(key), $"{relative}: {key} is not written back");
            var single = Float32Keys.Contains(key);
            Assert.True(JsonNode.DeepEquals(Normalize(value, single), Normalize(output[key], single)), $"{relative}: {key} {value?.ToJsonString()} -> {output[key]?.ToJsonString()}");
        }
    }

    /// <summary>Reads the file into the record its name and class call for; returns it written, and written again after reading that.</summary>
    private static (string Written, string Again) ReadAndWrite(string path, JsonObject file)
    {
        var name = Path.GetFileName(path);
        var kind = (string?)file["_class_name"] ?? (string?)file["model_type"];
        return name switch
        {
            "scheduler_config.json" => RoundTrip<DdimSchedulerConfig>(path),
            "encoder_config.json" => RoundTrip<MllmConfig>(path),
            "preprocessor_config.json" => RoundTrip<ClipImageProcessorConfig>(path),
            _ => kind switch
            {
                UNet2DConditionConfig.ClassName => RoundTrip<UNet2DConditionConfig>(path),
                AutoencoderKLConfig.ClassName => RoundTrip<AutoencoderKLConfig>(path),
                "clip_text_model" => RoundTrip<ClipTextConfig>(path),
                "clip_vision_model" => RoundTrip<ClipVisionConfig>(path),
                "llama" => RoundTrip<LlamaConfig>(path),
                "blip_2_qformer" => RoundTrip<QFormerConfig>(path),
                _ => throw new InvalidOperationException($"{path}: no record for '{kind}'"),
            },
        };
    }

    private static (string, string) RoundTrip<T>(string path) where T : class
    {
        var config = ConfigJson.Read<T>(path);
        var written = ConfigJson.Write(config);
        var again = ConfigJson.Parse<T>(written, "written");
        Assert.Equivalent(config, again, strict: true);
        return (written, ConfigJson.Write(again));
    }

    // CLIP's mean and std are float32, as in transformers' numpy preprocessing: compared at that precision.
    private static readonly HashSet<string> Float32Keys = ["image_mean", "image_std"];

    // 1 and 1.0 are the same config value.
    private static JsonNode? Normalize(JsonNode? n, bool single) => n switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => JsonValue.Create(single ? (float)d : d),
        JsonArray a => new JsonArray(a.Select(x => Normalize(x, single)).ToArray()),
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Normalize(p.Value, single)))),
        _ => n?.DeepClone(),
    };

    [Fact]
    public void Every_committed_model_config_is_a_file_of_this_test()
    {
        var files = ((IEnumerable<object[]>)Files()).Select(row => (string)row[0]).ToList();
        Assert.Contains(Path.Combine("models", "unimog-mini", "mllm", "language_model", "config.json"), files);
        Assert.Contains(Path.Combine("models", "unimog-mini", "scheduler", "scheduler_config.json"), files);
        Assert.Equal(5, files.Count(f => f.Contains("diffusers-samplers-a")));
    }
}
