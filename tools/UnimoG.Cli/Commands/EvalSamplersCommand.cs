using System.CommandLine;
using UnimoG.Mini.Bench;

namespace UnimoG.Cli;

/// <summary><c>unimog eval samplers DIR</c>: the quality-per-step table and plots of a sampler sweep (scripts/sampler-sweep.sh).</summary>
internal static class EvalSamplersCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("DIR") { Description = "a folder of EmojiBench reports, one per sampler and step count (scripts/sampler-sweep.sh)" };
        var outPrefix = new Option<string?>("--out") { Description = "write the plots as PREFIX-clip-t.png, PREFIX-recognised.png and PREFIX-paired.png" };
        var command = new Command("samplers", "Quality per step: one table of EmojiBench reports of several samplers and step counts, the default it implies, plots.") { dir, outPrefix };
        command.SetAction(parse =>
        {
            var points = SamplerSweep.Read(parse.GetValue(dir)!);
            var reference = SamplerSweep.Reference(points);
            Console.Out.WriteLine(SamplerSweep.Table(points, reference));
            string[] preference = ["dpmpp_2m_karras", "unipc", "euler_a", "ddim"];
            foreach (var (rule, name) in new (Func<SweepPoint, SweepPoint, bool>, string)[]
                     { (SamplerSweep.Close, $"close on the same prompts (paired: none significantly below, none below -{SamplerSweep.Margin}; the default's rule)"), (SamplerSweep.Matches, "means within the reference's interval") })
            {
                var chosen = SamplerSweep.Choose(points, reference, preference, rule);
                Console.Out.WriteLine(chosen is null ? $"{name}: nothing passes"
                    : $"{name}: {chosen.Sampler} at {chosen.Steps} steps ({chosen.SecondsPerImage:0.000} s per image; {reference.Sampler}-{reference.Steps}: {reference.SecondsPerImage:0.000} s)");
            }
            if (parse.GetValue(outPrefix) is { } prefix)
            {
                foreach (var (suffix, png) in new (string, Func<byte[]>)[]
                         {
                             ("clip-t", () => SamplerSweep.Plot(points, reference, clipT: true)),
                             ("recognised", () => SamplerSweep.Plot(points, reference, clipT: false)),
                             ("paired", () => SamplerSweep.PairedPlot(points, reference)),
                         })
                {
                    File.WriteAllBytes($"{prefix}-{suffix}.png", png());
                    Console.Out.WriteLine($"wrote {prefix}-{suffix}.png");
                }
            }
            return 0;
        });
        return command;
    }
}
