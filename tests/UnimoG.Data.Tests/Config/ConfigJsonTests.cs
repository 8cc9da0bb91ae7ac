using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using UnimoG.Data.Config;
using UnimoG.TestSupport;

namespace UnimoG.Data.Tests.Config;

/// <summary>The one config reader's rules (docs/modeling.md#config-files), on small records and on diffusers' own files.</summary>
public class ConfigJsonTests
{
    /// <summary>Our own kind of record: unknown keys refused.</summary>
    public sealed record Run : IValidatedConfig
    {
        [JsonPropertyName("name")] public string Name { get; init; } = "run";
        [JsonPropertyName("rate")] public double Rate { get; init; } = 1e-4;
        [JsonPropertyName("steps")] public int Steps { get; init; } = 10;
        [JsonPropertyName("note")] public string? Note { get; init; } = "default note";
        [JsonPropertyName("sizes")] public OneOrList<OneOrList<int>> Sizes { get; init; } = new OneOrList<int>(1);
        [JsonPropertyName("inner")] public Inner Inner { get; init; } = new() { Width = 1 };
        [JsonPropertyName("child")] public InlineOrFile<Inner>? Child { get; init; }
        public int Twice => Steps * 2;   // computed: not a key

        public void Validate(ConfigLocation at) => at["steps"].InRange(Steps, 1, 100);
    }

    public sealed record Inner
    {
        [JsonPropertyName("flag")] public bool Flag { get; init; } = true;
        [JsonPropertyName("width")] public required int Width { get; init; }
    }

    /// <summary>A reference library's kind of record: unknown keys kept.</summary>
    public sealed record Scheduler
    {
        [JsonPropertyName("beta_start")] public double BetaStart { get; init; } = 0.0001;
        [JsonExtensionData] public IgnoredKeys? IgnoredKeys { get; init; }
    }

    private static ConfigException Fails(string json) => Assert.Throws<ConfigException>(() => ConfigJson.Parse<Run>(json, "run.json"));

    [Fact]
    public void Comments_trailing_commas_and_exponents_are_read()
    {
        var run = ConfigJson.Parse<Run>("""
            // what this run is for
            { "rate": 3e-4, /* the second phase */ "steps": 20, "inner": { "width": 4, }, }
            """, "run.json");
        Assert.Equal((3e-4, 20, 4), (run.Rate, run.Steps, run.Inner.Width));
    }

    [Fact]
    public void Null_keeps_the_default_where_the_type_cannot_be_null_and_is_null_where_it_can()
    {
        var run = ConfigJson.Parse<Run>("""{"name": null, "rate": null, "note": null, "inner": {"width": 1, "flag": null}}""", "run.json");
        Assert.Equal(("run", 1e-4, true), (run.Name, run.Rate, run.Inner.Flag));
        Assert.Null(run.Note);
        Assert.Equal("default note", ConfigJson.Parse<Run>("""{"inner": {"width": 1}}""", "run.json").Note);
    }

    [Theory]
    [InlineData("""{"rate": "fast", "inner": {"width": 1}}""", "rate", "expected a number, got \"fast\"")]
    [InlineData("""{"steps": 2.5, "inner": {"width": 1}}""", "steps", "expected an integer, got 2.5")]
    [InlineData("""{"steps": 200, "inner": {"width": 1}}""", "steps", "must be between 1 and 100, got 200")]
    [InlineData("""{"inner": {"width": 1, "flag": "yes"}}""", "inner.flag", "expected true or false, got \"yes\"")]
    [InlineData("""{"inner": {"width": 1, "flg": true}}""", "inner.flg", "unknown key (known: flag, width)")]
    [InlineData("""{"rat": 1, "inner": {"width": 1}}""", "rat", "unknown key (known: child, inner, name, note, rate, sizes, steps)")]
    [InlineData("""{"inner": {}}""", "inner", "missing required key width")]
    [InlineData("""{"sizes": [1, [2, "x"]], "inner": {"width": 1}}""", "sizes[1][1]", "expected an integer, got \"x\"")]
    [InlineData("""{"child": {"width": "w"}, "inner": {"width": 1}}""", "child.width", "expected an integer, got \"w\"")]
    [InlineData("""{"child": 3, "inner": {"width": 1}}""", "child", "expected a JSON object or a file path, got 3")]
    [InlineData("""{"rate": -Infinity, "inner": {"width": 1}}""", "rate", "expected a finite number, got -Infinity")]
    [InlineData("""{"name": ["a"], "inner": {"width": 1}}""", "name", "expected a string, got [\"a\"]")]
    [InlineData("""{"inner": {"width": 1}} x""", "", "not valid JSON at line 1, column 25: 'x' is invalid after a single JSON value. Expected end of data")]
    public void A_problem_is_one_line_naming_the_file_the_key_and_what_was_expected(string json, string key, string problem)
    {
        var e = Fails(json);
        Assert.Equal((key, problem), (e.Key, e.Problem));
        Assert.Equal(key.Length == 0 ? $"run.json: {problem}" : $"run.json: {key}: {problem}", e.Message);
    }

    [Fact]
    public void Non_finite_words_are_quoted_only_outside_strings_and_comments()
    {
        var run = ConfigJson.Parse<Run>("""{"name": "NaN or -Infinity", /* Infinity */ "inner": {"width": 1}} // NaN""", "run.json");
        Assert.Equal("NaN or -Infinity", run.Name);
        // diffusers' own DPM-Solver file: "lambda_min_clipped": -Infinity is kept as a key we do not use.
        var dpm = ConfigJson.Read<Scheduler>(RepoPaths.Fixtures("diffusers-samplers-a", "dpmpp_2m", "scheduler_config.json"));
        Assert.Equal(0.00085, dpm.BetaStart);
        Assert.Equal("-Infinity", dpm.IgnoredKeys!["lambda_min_clipped"].GetString());
        Assert.Equal("dpmsolver++", dpm.IgnoredKeys["algorithm_type"].GetString());
    }

    [Fact]
    public void A_written_config_reads_back_equal_with_sorted_keys_and_no_computed_ones()
    {
        var run = ConfigJson.Parse<Run>("""{"sizes": [1, [2, 3]], "inner": {"width": 7}, "child": {"width": 2}}""", "run.json");
        var written = ConfigJson.Write(run);
        Assert.Equal(["child", "inner", "name", "note", "rate", "sizes", "steps"], JsonNode.Parse(written)!.AsObject().Select(p => p.Key));
        Assert.Equal("[1,[2,3]]", JsonNode.Parse(written)!["sizes"]!.ToJsonString());
        Assert.Equal(run, ConfigJson.Parse<Run>(written, "written"));
        Assert.Equal(written, ConfigJson.Write(ConfigJson.Parse<Run>(written, "written")));
        var dpm = RepoPaths.Fixtures("diffusers-samplers-a", "dpmpp_2m", "scheduler_config.json");
        Assert.Equal(ConfigJson.Read<Scheduler>(dpm), ConfigJson.Parse<Scheduler>(ConfigJson.Write(ConfigJson.Read<Scheduler>(dpm)), "written"));
    }

    [Fact]
    public void An_inline_or_file_config_reads_its_file_relative_to_the_including_folder()
    {
        var dir = Directory.CreateTempSubdirectory("config-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "inner.json"), """{"width": 5}""");
            var run = ConfigJson.Parse<Run>("""{"child": "inner.json", "inner": {"width": 1}}""", "run.json");
            Assert.False(run.Child!.IsLoaded);
            var loaded = run.Child.Load(new ConfigLocation("run.json", "child"), dir, p => ConfigJson.Read<Inner>(p));
            Assert.Equal((Path.Combine(dir, "inner.json"), 5), (loaded.Path, loaded.Value.Width));
            var missing = run.Child with { Path = "none.json" };
            var e = Assert.Throws<ConfigException>(() => missing.Load(new ConfigLocation("run.json", "child"), dir, p => ConfigJson.Read<Inner>(p)));
            Assert.Equal("child", e.Key);
            Assert.StartsWith($"run.json: child: file not found: {Path.Combine(dir, "none.json")}", e.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    public sealed record Forgetful
    {
        [JsonPropertyName("a")] public int A { get; init; }
        public int B { get; init; }
    }

    [Fact]
    public void A_settable_property_without_a_key_name_is_a_programming_error()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ConfigJson.Parse<Forgetful>("{}", "f"));
        Assert.Contains("Forgetful.B", e.Message);
    }

    [Fact]
    public void Ignored_keys_compare_by_value()
    {
        var a = ConfigJson.Parse<Scheduler>("""{"x": [1, {"y": null}]}""", "a");
        var b = ConfigJson.Parse<Scheduler>("""{ "x" : [1, {"y": null}] }""", "b");
        Assert.Equal(a, b);
        Assert.NotEqual(a, ConfigJson.Parse<Scheduler>("""{"x": [2]}""", "c"));
        Assert.Equal(JsonValueKind.Array, a.IgnoredKeys!["x"].ValueKind);
    }
}
