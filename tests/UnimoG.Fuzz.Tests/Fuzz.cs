using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Xunit.Abstractions;

namespace UnimoG.Fuzz.Tests;

/// <summary>
/// Runs an FsCheck property for a wall-clock budget instead of a fixed number of cases: batches of cases, each batch
/// from its own seed (derived from the run's seed), until the budget is spent. A failure is shrunk by FsCheck and
/// reported with the run's seed and the batch, so <c>UNIMOG_FUZZ_SEED=...</c> replays it.
/// </summary>
public static class Fuzz
{
    /// <summary>Seconds per fuzz target (<c>UNIMOG_FUZZ_SECONDS</c>, default 45): CI runs a minute's worth, a soak run longer.</summary>
    public static double Seconds { get; } =
        double.TryParse(Environment.GetEnvironmentVariable("UNIMOG_FUZZ_SECONDS"), System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 45;

    /// <summary>The run's seed: <c>UNIMOG_FUZZ_SEED</c> to replay, else new every run (so runs explore different inputs).</summary>
    public static ulong Seed { get; } =
        ulong.TryParse(Environment.GetEnvironmentVariable("UNIMOG_FUZZ_SEED"), out var seed) ? seed : (ulong)Random.Shared.NextInt64(1, long.MaxValue);

    /// <summary>One case taking longer than this is a hang (a regex or a decoder looping).</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    private const int Batch = 100;

    /// <summary>
    /// Checks <paramref name="property"/> (which throws on a broken contract) over cases from <paramref name="arb"/>
    /// for <paramref name="share"/> of the target's budget. Returns the number of cases run.
    /// </summary>
    public static int Run<T>(ITestOutputHelper output, string name, Arbitrary<T> arb, Action<T> property, double share = 1.0)
    {
        var budget = TimeSpan.FromSeconds(Seconds * share);
        var clock = Stopwatch.StartNew();
        int cases = 0, batch = 0;
        // At least one batch, so even a tiny budget exercises the target.
        while (batch == 0 || clock.Elapsed < budget)
        {
            var batchSeed = Mix(Seed, (ulong)batch);
            var config = Config.QuickThrowOnFailure.WithMaxTest(Batch).WithQuietOnSuccess(true).WithEndSize(100)
                .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(batchSeed, 0x9E3779B97F4A7C15UL | 1), FSharpOption<int>.None)));
            try
            {
                Check.One(config, Prop.ForAll(arb, (T x) => Bounded(property, x)));
            }
            catch (Exception e)
            {
                throw new FuzzFailure($"{name}: contract broken (replay with UNIMOG_FUZZ_SEED={Seed}; batch {batch}, after {cases} cases):\n{e.Message}", e);
            }
            cases += Batch;
            batch++;
        }
        output.WriteLine($"{name}: {cases} cases in {clock.Elapsed.TotalSeconds:F1} s (seed {Seed})");
        return cases;
    }

    // A case that does not end is reported as a hang, not left to stall the test run.
    private static void Bounded<T>(Action<T> property, T x)
    {
        var task = Task.Run(() => property(x));
        if (Task.WhenAny(task, Task.Delay(CaseTimeout)).GetAwaiter().GetResult() != task)
            throw new TimeoutException($"no answer after {CaseTimeout.TotalSeconds} s (a hang)");
        task.GetAwaiter().GetResult(); // the property's own exception, not wrapped
    }

    // SplitMix64 step: batch seeds that are far apart for neighbouring batch numbers.
    private static ulong Mix(ulong seed, ulong n)
    {
        var z = seed + (n + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>A fuzz target's contract broken: the message carries the shrunk input and the seed to replay it.</summary>
public sealed class FuzzFailure(string message, Exception inner) : Exception(message, inner);
