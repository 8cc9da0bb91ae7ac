using UnimoG.EmojiWorld;
using UnimoG.Mini.Bench;
using UnimoG.Mini.Tests.Support;

namespace UnimoG.Mini.Tests;

public class EmojiBenchReportTests
{
    private static EmojiBenchPrompt Prompt(int i) => EmojiBenchPrompts.Generate(EmojiCatalog.Default, EmojiBenchSubset.Seen, 5)[i];

    private static EmojiBenchImageScore S(double? dino, double clipT, double rec) => new(null, 0, dino, dino, clipT, rec);

    [Fact]
    public void A_row_is_the_mean_over_images_with_a_bootstrap_interval_over_prompts()
    {
        // Prompt 0: four images scoring 1; prompt 1: two images scoring 0. Mean over images: 4/6. Resampling the two
        // prompts gives 0 (both draws prompt 1, p = 1/4), 4/6 (one each, p = 1/2) or 1 (p = 1/4): the 95 % interval is [0, 1].
        var scored = new List<(EmojiBenchPrompt, IReadOnlyList<EmojiBenchImageScore>)>
        {
            (Prompt(0), [S(1, 1, 1), S(1, 1, 1), S(1, 1, 1), S(1, 1, 1)]),
            (Prompt(1), [S(0, 0, 0), S(0, 0, 0)]),
        };
        var row = EmojiBench.Row(EmojiBenchSubset.Seen, "model", scored, 2000, 1.5);
        Assert.Equal((2, 6), (row.Prompts, row.Images));
        foreach (var i in new[] { row.Metrics.Dino!, row.Metrics.ClipI!, row.Metrics.ClipT, row.Metrics.Recognition })
        {
            Assert.Equal(4.0 / 6, i.Mean, 12);
            Assert.Equal(0, i.Low, 12);
            Assert.Equal(1, i.High, 12);
            Assert.Equal(2, i.Groups);
        }

        // Constant scores: the interval collapses; no subject scores at all (text without references): no entry.
        var flat = EmojiBench.Row(EmojiBenchSubset.Text, "model", [(Prompt(0), [S(null, 0.25, 0.5), S(null, 0.25, 0.5)]), (Prompt(1), [S(null, 0.25, 0.5)])], 100, 0);
        Assert.Null(flat.Metrics.Dino);
        Assert.Null(flat.Metrics.ClipI);
        Assert.Equal((0.25, 0.25, 0.25), (flat.Metrics.ClipT.Mean, flat.Metrics.ClipT.Low, flat.Metrics.ClipT.High));
        Assert.Equal(0.5, flat.Metrics.Recognition.Mean, 12);
    }

    internal static EmojiBenchReport Report(string label, double value, ulong promptSeed = EmojiBenchPrompts.DefaultSeed, int prompts = 2)
    {
        var m = new EmojiBenchMetricSet(new Interval(value, value - 0.1, value + 0.1, prompts), new Interval(0.5, 0.25, 0.75, prompts), new Interval(0.125, 0.06, 0.25, prompts), new Interval(1, 1, 1, prompts));
        return new EmojiBenchReport
        {
            Label = label, Model = "/m/" + label, Evaluators = "/e", Steps = 50, GuidanceScale = 5, ImagesPerPrompt = 4, Seed = 0, PromptSeed = promptSeed, Resamples = 2000,
            Rows = [new EmojiBenchRow(EmojiBenchSubset.Seen, "model", prompts, prompts * 4, m, 10), new EmojiBenchRow(EmojiBenchSubset.HeldOut, "model", prompts, prompts * 4, m with { Dino = null }, 10)],
            ReferenceRows = [new EmojiBenchRow(EmojiBenchSubset.Seen, EmojiBenchCalibration.Oracle, prompts, prompts * 4, m, 1)],
            Prompts = [new EmojiBenchPromptResult(EmojiBenchSubset.Seen, 0, 0, "a <img1> wearing <img2>", "a dog wearing a top hat", ["1f436", "1f3a9"], [new EmojiBenchImageScore("seen/000-0.png", 42, 0.5, null, 0.25, 1)])],
            GenerationSeconds = 12.5, ScoringSeconds = 0.5, PeakWorkingSetMb = 800,
        };
    }

    [Fact]
    public void One_models_table_lists_each_subset_and_the_calibration_rows()
    {
        var table = Report("full", 0.75).ToMarkdownTable();
        var lines = table.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal("| model | subset | prompts | images | DINO | CLIP-I | CLIP-T | recognised |", lines[0]);
        Assert.Equal("|---|---|---:|---:|---:|---:|---:|---:|", lines[1]);
        Assert.Equal("| full | seen | 2 | 8 | 0.750 [0.650, 0.850] | 0.500 [0.250, 0.750] | 0.125 [0.060, 0.250] | 1.000 [1.000, 1.000] |", lines[2]);
        Assert.Equal("| full | held-out | 2 | 8 | - | 0.500 [0.250, 0.750] | 0.125 [0.060, 0.250] | 1.000 [1.000, 1.000] |", lines[3]);
        Assert.Equal("| oracle | seen | 2 | 8 | 0.750 [0.650, 0.850] | 0.500 [0.250, 0.750] | 0.125 [0.060, 0.250] | 1.000 [1.000, 1.000] |", lines[4]);
        Assert.Contains("DDIM 50 steps, guidance 5, 4 images per prompt", table);
    }

    [Fact]
    public void Several_models_share_one_table_per_subset_and_mismatched_runs_are_refused()
    {
        var table = EmojiBenchTable.Compare([Report("full", 0.75), Report("w/o VisualEnh", 0.5), Report("w/o Tuning", 0.25)]);
        var lines = table.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        var seen = lines.IndexOf("**seen** (2 prompts, 8 images per model)");
        Assert.True(seen >= 0, table);
        Assert.Equal("| model | DINO | CLIP-I | CLIP-T | recognised |", lines[seen + 2]);
        Assert.StartsWith("| full | 0.750 [0.650, 0.850] |", lines[seen + 4]);
        Assert.StartsWith("| w/o VisualEnh | 0.500 [0.400, 0.600] |", lines[seen + 5]);
        Assert.StartsWith("| w/o Tuning | 0.250 [0.150, 0.350] |", lines[seen + 6]);
        Assert.StartsWith("| *oracle* | 0.750", lines[seen + 7]);
        Assert.Contains("**held-out** (2 prompts, 8 images per model)", lines);

        var other = Assert.Throws<InvalidDataException>(() => EmojiBenchTable.Compare([Report("full", 0.75), Report("b", 0.5, promptSeed: 1)]));
        Assert.Contains("prompt seed", other.Message);
        var sizes = Assert.Throws<InvalidDataException>(() => EmojiBenchTable.Compare([Report("full", 0.75), Report("b", 0.5, prompts: 3)]));
        Assert.Contains("different numbers of prompts", sizes.Message);
    }

    [Fact]
    public void Paired_differences_are_per_prompt_and_refuse_other_prompts()
    {
        // Model a beats b by 0.25 on prompt 0 and by 0.75 on prompt 1 (CLIP-T, means over each prompt's images).
        // Mean difference 0.5; resampling the two prompts gives 0.25 (p = 1/4), 0.5 (1/2) or 0.75 (1/4): the 95 %
        // interval is [0.25, 0.75]. Recognition is equal everywhere: 0 [0, 0]. No subject scores: "-".
        EmojiBenchPromptResult P(int index, params double[] clipT) =>
            new(EmojiBenchSubset.Seen, index, 0, "a <img1>", $"prompt {index}", ["1f436"], clipT.Select(c => new EmojiBenchImageScore(null, 0, null, null, c, 1)).ToList());
        var a = Report("a", 0.5) with { Prompts = [P(0, 0.5, 0.5), P(1, 1.0, 0.5)] };
        var b = Report("b", 0.5) with { Prompts = [P(0, 0.25, 0.25), P(1, 0.0, 0.0)] };
        var lines = EmojiBenchTable.PairedDifferences([a, b]).Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.Equal("| seen | a - b | - | - | 0.500 [0.250, 0.750] | 0.000 [0.000, 0.000] |", lines[4]);
        Assert.Contains(EmojiBenchTable.Compare([a, b]).Split('\n'), l => l.StartsWith("| seen | a - b |", StringComparison.Ordinal));

        var moved = Report("c", 0.5) with { Prompts = [P(0, 0.25), P(2, 0.25)] };
        Assert.Contains("prompt 1 ('prompt 1'): not in 'c'", Assert.Throws<InvalidDataException>(() => EmojiBenchTable.PairedDifferences([a, moved])).Message);
        var fewer = Report("d", 0.5) with { Prompts = [P(0, 0.25)] };
        Assert.Contains("'a' has 2 prompt results, 'd' 1", Assert.Throws<InvalidDataException>(() => EmojiBenchTable.PairedDifferences([a, fewer])).Message);
    }

    [Fact]
    public void Reports_round_trip_through_JSON_and_bad_files_are_named()
    {
        using var temp = new TempFolder();
        var report = Report("full", 0.75);
        report.WriteJson(temp["r.json"]);
        var back = EmojiBenchReport.ReadJson(temp["r.json"]);
        Assert.Equal(report.ToMarkdownTable(), back.ToMarkdownTable());
        Assert.Equal(report.Prompts[0].Images[0], back.Prompts[0].Images[0]);
        Assert.Equal(report.Prompts[0].Entities, back.Prompts[0].Entities);
        Assert.Equal((report.GenerationSeconds, report.PeakWorkingSetMb), (back.GenerationSeconds, back.PeakWorkingSetMb));
        Assert.Contains("\"subset\": \"HeldOut\"", File.ReadAllText(temp["r.json"]));

        File.WriteAllText(temp["bad.json"], "{ \"format\": \"other/1\", \"label\": \"x\", \"model\": \"m\", \"evaluators\": \"e\", \"rows\": [] }");
        Assert.Contains("format 'other/1'", Assert.Throws<InvalidDataException>(() => EmojiBenchReport.ReadJson(temp["bad.json"])).Message);
        File.WriteAllText(temp["broken.json"], "{ \"rows\": [");
        Assert.Contains("broken.json", Assert.Throws<InvalidDataException>(() => EmojiBenchReport.ReadJson(temp["broken.json"])).Message);
        Assert.Throws<FileNotFoundException>(() => EmojiBenchReport.ReadJson(temp["missing.json"]));
    }
}
