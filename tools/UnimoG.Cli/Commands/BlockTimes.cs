using System.Diagnostics;
using TorchSharp;

namespace UnimoG.Cli;

/// <summary>
/// The time between consecutive trace points of one U-Net forward (each top-level block's own time: the U-Net
/// runs its blocks in order on one thread, and CPU ops are synchronous).
/// </summary>
internal sealed class BlockTimes(Stopwatch clock)
{
    private readonly List<(string Name, double Ms)> _blocks = [];
    private double _last = clock.Elapsed.TotalMilliseconds;

    public void Mark(string name, torch.Tensor _)
    {
        var now = clock.Elapsed.TotalMilliseconds;
        _blocks.Add((name, now - _last));
        _last = now;
    }

    public static void Print(IReadOnlyList<BlockTimes> steps, TextWriter log)
    {
        if (steps.Count == 0 || steps[0]._blocks.Count == 0) return;
        var total = Median(steps.Select(s => s._blocks.Sum(b => b.Ms)).ToList());
        log.WriteLine($"per block (median over {steps.Count} steps):");
        for (var i = 0; i < steps[0]._blocks.Count; i++)
        {
            var ms = Median(steps.Select(s => s._blocks[i].Ms).ToList());
            log.WriteLine($"  {steps[0]._blocks[i].Name,-16} {ms,8:F0} ms  {100 * ms / total,5:F1} %");
        }
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var v = values.Order().ToList();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
