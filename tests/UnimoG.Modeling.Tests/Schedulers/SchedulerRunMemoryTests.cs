using UnimoG.Modeling.Schedulers;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Schedulers.SchedulerTestConfigs;

namespace UnimoG.Modeling.Tests.Schedulers;

/// <summary>Counts live tensors (process-wide): kept out of parallel runs.</summary>
[CollectionDefinition(nameof(TensorCountCollection), DisableParallelization = true)]
public class TensorCountCollection;

/// <summary>
/// A multistep run holds its history (the last solver_order outputs, and UniPC's last sample) and no more, and frees
/// it when disposed: Tensor.TotalCount, TorchSharp's count of live tensors, is back where it was.
/// </summary>
[Collection(nameof(TensorCountCollection))]
public class SchedulerRunMemoryTests
{
    [Theory]
    [InlineData("dpmpp_2m", 1, 2)]          // one data prediction per step, the last two kept
    [InlineData("dpmpp_2m_sde", 1, 2)]
    [InlineData("unipc", 2, 3)]             // and the sample the last prediction started from
    [InlineData("euler", 0, 0)]
    public void A_run_holds_a_bounded_history_and_frees_it_when_disposed(string sampler, int first, int held)
    {
        var s = MiniCatalog()[sampler];
        var g = new Generator(50);
        using var x = randn([2, 4, 8, 8], generator: g);
        using var mo = randn([2, 4, 8, 8], generator: g);
        // garbage of earlier tests, finalized now rather than during the count
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = Tensor.TotalCount;
        var run = s.Start(new SamplingSettings(10), Seeded(51));
        for (var i = 0; i < 6; i++)
        {
            using (run.Step(mo, x)) { }
            Assert.Equal(before + Math.Min(first + i, held), Tensor.TotalCount);
        }
        run.Dispose();
        Assert.Equal(before, Tensor.TotalCount);
    }
}
