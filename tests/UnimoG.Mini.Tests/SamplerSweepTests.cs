using UnimoG.EmojiWorld;
using UnimoG.Mini.Bench;

namespace UnimoG.Mini.Tests;

/// <summary>The quality-per-step rules of <c>unimog eval samplers</c> on synthetic reports with known scores.</summary>
public class SamplerSweepTests
{
    private const int Prompts = 40;

    // One subset, one image per prompt: CLIP-T of prompt i is score(i), recognition 1 when recognised(i).
    private static SweepPoint Point(string sampler, int steps, Func<int, double> score, Func<int, bool> recognised, double seconds = 10)
    {
        var prompts = EmojiBenchPrompts.Generate(EmojiCatalog.Default, EmojiBenchSubset.Seen, Prompts);
        var scored = prompts.Select((p, i) => (p, (IReadOnlyList<EmojiBenchImageScore>)[new EmojiBenchImageScore(null, 0, null, null, score(i), recognised(i) ? 1 : 0)])).ToList();
        var report = new EmojiBenchReport
        {
            Label = $"{sampler}-{steps}", Model = "/m", Evaluators = "/e", Steps = steps, Sampler = sampler, GuidanceScale = 5, ImagesPerPrompt = 1, Resamples = 2000,
            Rows = [EmojiBench.Row(EmojiBenchSubset.Seen, "model", scored, 2000, seconds)],
            Prompts = scored.Select(x => new EmojiBenchPromptResult(EmojiBenchSubset.Seen, x.p.Index, x.p.Template, x.p.Prompt, x.p.Text, [], x.Item2)).ToList(),
            GenerationSeconds = seconds,
        };
        return new SweepPoint(sampler, steps, report);
    }

    // Scores spread over prompts (a wide interval of means) but a paired shift is clear.
    private static double Base(int i) => 0.3 + 0.6 * ((i * 7) % Prompts) / Prompts;

    [Fact]
    public void The_paired_rule_rejects_a_uniform_deficit_that_the_interval_of_means_lets_through()
    {
        var reference = Point("ddim", 50, Base, i => i % 3 == 0);
        var worse = Point("euler_a", 10, i => Base(i) - 0.02, i => i % 3 == 0);        // every prompt 0.02 lower
        var same = Point("dpmpp_2m_karras", 15, Base, i => i % 3 == 0);
        Assert.True(SamplerSweep.Matches(worse, reference));          // its mean is inside the reference's wide interval
        Assert.False(SamplerSweep.NotWorse(worse, reference));        // but on the same prompts it is lower every time
        Assert.True(SamplerSweep.NotWorse(same, reference));
        var points = new[] { reference, worse, same };
        Assert.Equal(("dpmpp_2m_karras", 15), Pick(SamplerSweep.Choose(points, reference, ["dpmpp_2m_karras"], SamplerSweep.Close)));
        Assert.Equal(("euler_a", 10), Pick(SamplerSweep.Choose(points, reference, ["dpmpp_2m_karras"], SamplerSweep.Matches)));
    }

    [Fact]
    public void Ties_in_steps_go_to_the_preferred_sampler_and_the_table_marks_each_rule()
    {
        var reference = Point("ddim", 50, Base, i => i % 2 == 0, seconds: 50);
        var a = Point("unipc", 20, Base, i => i % 2 == 0, seconds: 20);
        var b = Point("dpmpp_2m_karras", 20, Base, i => i % 2 == 0, seconds: 20);
        Assert.Equal(("dpmpp_2m_karras", 20), Pick(SamplerSweep.Choose([reference, a, b], reference, ["dpmpp_2m_karras", "unipc"], SamplerSweep.Close)));
        var table = SamplerSweep.Table([reference, a, b], reference).Split('\n');
        Assert.Contains(table, l => l.StartsWith("| ddim | 50 |", StringComparison.Ordinal) && l.Contains("| ref | ref |") && l.Contains("| 1.250 | yes | yes |"));
        Assert.Contains(table, l => l.StartsWith("| unipc | 20 |", StringComparison.Ordinal) && l.Contains("0.000 [0.000, 0.000]") && l.Contains("| 0.500 | yes | yes |"));
    }

    [Fact]
    public void A_sampler_must_pass_at_every_larger_step_count_and_small_shortfalls_count()
    {
        var reference = Point("ddim", 50, Base, i => i % 2 == 0);
        var lucky = Point("unipc", 10, Base, i => i % 2 == 0);
        var unluckyLater = Point("unipc", 20, i => Base(i) - 0.02, i => i % 2 == 0);   // fails at 20: 10 does not count
        var slightlyLow = Point("dpmpp_2m_karras", 15, i => Base(i) - 0.008 + (i % 2 == 0 ? 0.05 : -0.05), i => i % 2 == 0);
        var steady = Point("dpmpp_2m_karras", 20, Base, i => i % 2 == 0);
        var points = new[] { reference, lucky, unluckyLater, slightlyLow, steady };
        Assert.True(SamplerSweep.NotWorse(slightlyLow, reference));   // -0.008 with a spread: not significant ...
        Assert.False(SamplerSweep.Close(slightlyLow, reference));     // ... but below the margin
        Assert.Equal(("dpmpp_2m_karras", 20), Pick(SamplerSweep.Choose(points, reference, ["unipc"], SamplerSweep.Close)));
    }

    private static (string, int) Pick(SweepPoint? p) => p is null ? ("none", 0) : (p.Sampler, p.Steps);
}
