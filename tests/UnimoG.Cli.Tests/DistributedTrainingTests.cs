using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using UnimoG.Data.Checkpoints;
using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>mpirun -np N unimog train</c> on loopback with the tiny world: 2 ranks of half batches equal 1 rank of whole
/// batches (with and without ZeRO-1) within the rounding tolerance derived in docs/training.md; a checkpoint of 2
/// ranks resumes on 3; a killed rank and a hung rank end the job non-zero within their bounds, and a restart resumes
/// from the last complete checkpoint.
/// </summary>
public class DistributedTrainingTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;
    private static string S(long n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The tolerance (docs/training.md, "Distributed training"): ||w_ranks - w_single|| over ||the single run's last
    /// update||, and the same for AdamW's first moments. Reduction order changes a gradient element by ~1e-6 of its
    /// terms' sizes; AdamW passes that on relatively, except for the few elements whose gradient nearly cancels, which
    /// its normalisation can move by up to 2 lr. Measured: ~1e-4; a real fault (other rows or draws) gives ~1.
    /// </summary>
    private const double Tolerance = 1e-3;

    /// <summary>
    /// The same with precision bf16: the forward and backward round to bfloat16 (unit roundoff 2^-8 = 3.9e-3, not
    /// 6e-8), and batches of 3 and 6 round differently; 50 units. Measured 0.075; the control gives 4.4.
    /// </summary>
    private const double Bf16Tolerance = 50 * 3.9e-3;

    private const double Lr = 1e-3;

    /// <summary>Global batch 6 = 1 x 6 = 2 x 3 = 3 x 2 over the 12 tiny scenes; draws global, so rows get the same numbers for any number of ranks.</summary>
    private static string Config(string dir, int steps, int zero = 0, string random = "global", double clip = 1.0, JsonObject? extra = null,
        string precision = "fp32", int stage = 1)
    {
        var more = new JsonObject
        {
            ["batch_size"] = 6,
            ["precision"] = precision,
            ["optimizer"] = new JsonObject { ["learning_rate"] = Lr, ["max_grad_norm"] = clip },
            ["checkpoints"] = new JsonObject { ["every"] = 1, ["keep_last"] = 3 },
            ["distributed"] = new JsonObject { ["zero_stage"] = zero, ["random"] = random, ["bucket_mb"] = 0.05, ["collective_timeout_seconds"] = 60 },
        };
        foreach (var (k, v) in extra ?? []) more[k] = v?.DeepClone();
        var file = Path.Combine(dir, "config.json");
        File.WriteAllText(file, World.Config(Path.Combine(dir, "run"), stage: stage, steps: steps, extra: more));
        return file;
    }

    private static string Checkpoint(string configFile, long step) =>
        Path.Combine(Path.GetDirectoryName(configFile)!, "run", "checkpoints", CheckpointStore.NameOf(step));

    private static string Run(int ranks, string configFile, params string[] more)
    {
        using var job = new Mpirun(ranks, ["train", "--config", configFile, .. more]);
        var end = job.Wait(TimeSpan.FromMinutes(4));
        Assert.True(end is { ExitCode: 0 }, $"mpirun -np {ranks}: {end?.ExitCode.ToString(CultureInfo.InvariantCulture) ?? "timed out"}\n{job.Output}");
        return job.Output;
    }

    /// <summary>||a - b|| / ||a - reference|| over every tensor of <paramref name="file"/> in the checkpoints (norms over all elements).</summary>
    private static double Relative(string a, string b, string reference, string file)
    {
        var (x, y, z) = (SafetensorsFile.Open(Path.Combine(a, file)), SafetensorsFile.Open(Path.Combine(b, file)), SafetensorsFile.Open(Path.Combine(reference, file)));
        Assert.Equal(x.Entries.Keys.Order(), y.Entries.Keys.Order());
        double difference = 0, scale = 0;
        foreach (var name in x.Entries.Keys)
        {
            using var scope = NewDisposeScope();
            var xa = x.Read(name);
            difference += (xa - y.Read(name)).square().sum().item<float>();
            scale += (xa - z.Read(name)).square().sum().item<float>();
        }
        return Math.Sqrt(difference / scale);
    }

    private static readonly string Weights = Path.Combine("unet", UnimoG.Engines.Trainer.Training.Trainer.WeightsFile);

    /// <summary>Weights and first moments of <paramref name="b"/>'s step K against <paramref name="a"/>'s (scaled by a's update from step K - 1).</summary>
    private static (double Weights, double Moments) Compare(string a, string b, long step) =>
        (Relative(Checkpoint(a, step), Checkpoint(b, step), Checkpoint(a, step - 1), Weights),
         Relative(Checkpoint(a, step), Checkpoint(b, step), Checkpoint(a, step - 1), "optimizer.safetensors"));

    [RequiresMpirunFact]
    public void Two_ranks_of_half_batches_match_one_rank_of_whole_batches_with_and_without_ZeRO_1()
    {
        const int steps = 3;
        // Clipping on (0.05: the tiny model's gradient norm is far above it) with ZeRO-0, off with ZeRO-1, so that an
        // unaveraged gradient, which clipping would hide, shows too; ZeRO-1 again with bf16 mixed precision; stage 2
        // (the attention-mask loss: a mean over the whole batch's entities, which the ranks count together).
        var single = Config(TinyWorld.TempDir("dp-single"), steps, clip: 0.05);
        var unclipped = Config(TinyWorld.TempDir("dp-single-unclipped"), steps, clip: 0);
        var bf16 = Config(TinyWorld.TempDir("dp-single-bf16"), steps, clip: 0, precision: "bf16");
        var stage2 = Config(TinyWorld.TempDir("dp-single-stage2"), steps, clip: 0, stage: 2);
        foreach (var file in new[] { single, unclipped, bf16, stage2 })
        {
            var (trainer, _) = TinyWorld.Trainer(File.ReadAllText(file));
            using (trainer) trainer.Run(resume: false);
        }
        foreach (var (zero, reference, random) in new[] { (0, single, "global"), (1, unclipped, "global"), (1, bf16, "global"), (0, stage2, "global"), (0, single, "rank") })
        {
            var ranks = Config(TinyWorld.TempDir($"dp-two-zero{zero}"), steps, zero, random, clip: reference == single ? 0.05 : 0,
                precision: reference == bf16 ? "bf16" : "fp32", stage: reference == stage2 ? 2 : 1);
            var output = Run(2, ranks);
            var (weights, moments) = Compare(reference, ranks, steps);
            Console.WriteLine($"2 ranks, zero_stage {zero}, random {random}, {(reference == bf16 ? "bf16" : "fp32")}{(reference == stage2 ? ", stage 2" : "")}: weights {weights:G3}, first moments {moments:G3} (relative)");
            if (random == "rank")
            {
                // The control: per-rank generators draw other numbers, and the comparison sees it.
                Assert.True(weights > 100 * Tolerance, $"per-rank draws should differ: {weights:G3}");
                continue;
            }
            var bound = reference == bf16 ? Bf16Tolerance : Tolerance;
            Assert.True(weights <= bound && moments <= bound, $"ZeRO {zero}: weights {weights:G3}, moments {moments:G3} > {bound}\n{output}");
        }
    }

    [RequiresMpirunFact]
    public void A_ZeRO_1_checkpoint_of_two_ranks_resumes_on_three_ranks_and_on_one_as_the_straight_run_continues()
    {
        const int steps = 4;
        // Gradient accumulation too: the reduction waits for the step's last micro-batch.
        var accumulate = new JsonObject { ["gradient_accumulation_steps"] = 2 };
        var straight = Config(TinyWorld.TempDir("dp-straight"), steps, zero: 1, extra: accumulate);
        var (trainer, _) = TinyWorld.Trainer(File.ReadAllText(straight));
        using (trainer) trainer.Run(resume: false);

        var dir = TinyWorld.TempDir("dp-2-then-3");
        var config = Config(dir, steps, zero: 1, extra: accumulate);
        Run(2, config, "--max-steps", "2");
        // The same checkpoint resumed by a single process: the gathered moments are a single process's file.
        var onOne = Config(TinyWorld.TempDir("dp-2-then-1"), steps, zero: 1, extra: accumulate);
        CopyFolder(Checkpoint(config, 2), Checkpoint(onOne, 2));
        var resumed = Run(3, config);
        Assert.Contains($"Resumed from {Checkpoint(config, 2)} at step 2", resumed);
        Assert.Contains("ZeRO-1 shard", resumed);
        var (one, _) = TinyWorld.Trainer(File.ReadAllText(onOne));
        using (one) one.Run();

        foreach (var (name, file) in new[] { ("2 then 3 ranks", config), ("2 ranks then 1", onOne) })
        {
            var (weights, moments) = Compare(straight, file, steps);
            Console.WriteLine($"{name}: weights {weights:G3}, first moments {moments:G3} (relative)");
            Assert.True(weights <= Tolerance && moments <= Tolerance, $"{name}: weights {weights:G3}, moments {moments:G3} > {Tolerance}");
        }
    }

    /// <summary>The bound for a dead rank: mpirun sees the process end (SIGCHLD) and ends the others; seconds, with margin for a loaded machine.</summary>
    private static readonly TimeSpan DeadRankBound = TimeSpan.FromSeconds(30);

    [RequiresMpirunFact]
    public void A_killed_rank_ends_the_job_non_zero_within_the_bound_and_a_restart_resumes_from_the_last_checkpoint()
    {
        var config = Config(TinyWorld.TempDir("dp-kill"), 100000, zero: 1, random: "rank", extra: new JsonObject { ["checkpoints"] = new JsonObject { ["every"] = 2, ["keep_last"] = 2 } });
        var run = Path.Combine(Path.GetDirectoryName(config)!, "run");
        TimeSpan killedAt;
        using (var job = new Mpirun(2, "train", "--config", config))
        {
            Assert.True(job.WaitFor("written (step 4)", TimeSpan.FromMinutes(3)), job.Output);
            var rank1 = job.RankProcess(1);
            using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", S(rank1)])!) kill.WaitForExit();
            killedAt = job.Elapsed;
            var end = job.Wait(DeadRankBound + TimeSpan.FromSeconds(30), killedAt);
            Assert.True(end is not null, $"still running {DeadRankBound.TotalSeconds + 30} s after rank 1 was killed:\n{job.Output}");
            Console.WriteLine($"rank 1 killed: mpirun exited {end.Value.ExitCode} after {end.Value.Took.TotalSeconds:0.0} s");
            Assert.NotEqual(0, end.Value.ExitCode);
            Assert.True(end.Value.Took < DeadRankBound, $"{end.Value.Took.TotalSeconds:0.0} s");
        }
        var newest = CheckpointStore.ForRun(run).NewestValid();
        Assert.NotNull(newest);
        Assert.True(newest.Step >= 4);
        var output = Run(2, config, "--max-steps", S(newest.Step + 2));
        Assert.Contains($"Resumed from {newest.Path} at step {newest.Step}", output);
        Assert.Contains($"step {newest.Step + 1}/100000 ", output);
        Assert.Contains($"stopped at step {newest.Step + 2} of 100000 (--max-steps)", output);
    }

    [RequiresMpirunFact]
    public void A_hung_rank_makes_the_collective_timeout_abort_the_job_non_zero()
    {
        // Long enough that an honest wait on a loaded CI machine (the whole suite runs at once) does not trip it.
        const int timeout = 10;
        var config = Config(TinyWorld.TempDir("dp-hang"), 100000, extra: new JsonObject
        {
            // Both timeouts: rank 1 may be stopped while rank 0 waits at a checkpoint's barrier (seen once in a full CI run,
            // whose load made that more likely), which the checkpoint timeout (default 3600 s) bounds instead.
            ["distributed"] = new JsonObject { ["random"] = "rank", ["collective_timeout_seconds"] = timeout, ["checkpoint_timeout_seconds"] = timeout },
        });
        using var job = new Mpirun(2, "train", "--config", config);
        Assert.True(job.WaitFor("step 2/100000", TimeSpan.FromMinutes(3)), job.Output);
        var rank1 = job.RankProcess(1);
        using (var stop = System.Diagnostics.Process.Start("kill", ["-STOP", S(rank1)])!) stop.WaitForExit();
        var stoppedAt = job.Elapsed;
        try
        {
            // Bound: the timeout, plus the watchdog's 1 s poll, plus mpirun tearing the job down.
            var bound = TimeSpan.FromSeconds(timeout + 1 + 25);
            var end = job.Wait(bound + TimeSpan.FromSeconds(30), stoppedAt);
            Assert.True(end is not null, $"still running after rank 1 stopped:\n{job.Output}");
            Console.WriteLine($"rank 1 stopped: mpirun exited {end.Value.ExitCode} after {end.Value.Took.TotalSeconds:0.0} s (timeout {timeout} s)");
            Assert.NotEqual(0, end.Value.ExitCode);
            Assert.True(end.Value.Took < bound, $"{end.Value.Took.TotalSeconds:0.0} s");
            Assert.Matches(new Regex("rank 0 of 2: .* has waited \\d+ s, longer than the collective timeout \\(10 s\\)"), job.Output);
        }
        finally
        {
            if (Directory.Exists($"/proc/{rank1}"))
                using (var kill = System.Diagnostics.Process.Start("kill", ["-KILL", S(rank1)])!) kill.WaitForExit();
        }
    }

    /// <summary>Open MPI's mpirun kills the job on SIGTERM but forwards SIGUSR1 to every rank: the graceful stop.</summary>
    [RequiresMpirunFact]
    public void SIGUSR1_to_mpirun_stops_every_rank_after_the_same_step_with_one_checkpoint()
    {
        var config = Config(TinyWorld.TempDir("dp-usr1"), 100000, zero: 1, random: "rank");
        using var job = new Mpirun(2, "train", "--config", config);
        Assert.True(job.WaitFor("step 2/100000", TimeSpan.FromMinutes(3)), job.Output);
        using (var signal = System.Diagnostics.Process.Start("kill", ["-USR1", S(job.Id)])!) signal.WaitForExit();
        var end = job.Wait(TimeSpan.FromMinutes(2));
        Assert.True(end is { ExitCode: 0 }, $"{end?.ExitCode}\n{job.Output}");
        Assert.Contains("SIGUSR1: stopping after this step and writing a checkpoint", job.Output);
        var stopped = Regex.Match(job.Output, @"stopped at step (\d+); checkpoint (\S+)");
        Assert.True(stopped.Success, job.Output);
        var newest = CheckpointStore.ForRun(Path.Combine(Path.GetDirectoryName(config)!, "run")).NewestValid();
        Assert.Equal(stopped.Groups[2].Value, newest?.Path);
        Assert.Equal(long.Parse(stopped.Groups[1].Value, CultureInfo.InvariantCulture), newest!.Step);
    }

    /// <summary>One rank under mpirun goes through every collective, each a no-op: the single-process run bit for bit.</summary>
    [RequiresMpirunFact]
    public void One_rank_under_mpirun_trains_the_single_process_run_bit_for_bit()
    {
        var single = Config(TinyWorld.TempDir("dp-one-single"), 2);
        var (trainer, _) = TinyWorld.Trainer(File.ReadAllText(single));
        using (trainer) trainer.Run(resume: false);
        var one = Config(TinyWorld.TempDir("dp-one-mpirun"), 2);
        Assert.Contains("Data parallel: rank 0 of 1", Run(1, one));
        foreach (var file in new[] { Weights, "optimizer.safetensors", "random_states.safetensors" })
        {
            var (a, b) = (SafetensorsFile.Open(Path.Combine(Checkpoint(single, 2), file)), SafetensorsFile.Open(Path.Combine(Checkpoint(one, 2), file)));
            foreach (var name in a.Entries.Keys)
            {
                using var scope = NewDisposeScope();
                Assert.True(a.Read(name).equal(b.Read(name)).all().item<bool>(), $"{file}: {name} differs");
            }
        }
    }

    [RequiresMpirunFact]
    public void Bench_allreduce_measures_and_checks_the_sums_between_two_ranks()
    {
        using var job = new Mpirun(2, "bench", "allreduce", "--sizes-mb", "0.25,1", "--repeats", "3");
        var end = job.Wait(TimeSpan.FromMinutes(2));
        Assert.True(end is { ExitCode: 0 }, job.Output);
        Assert.Contains("all-reduce over 2 ranks", job.Output);
        Assert.Equal(2, Regex.Matches(job.Output, @"MB +[0-9.]+ ms +algbw +[0-9.]+ GB/s +busbw +[0-9.]+ GB/s +sums ok").Count);
    }

    /// <summary>MPICH's or Intel MPI's launcher would start N unrelated single processes over one output folder.</summary>
    [Fact]
    public void A_launcher_of_another_MPI_is_refused_with_a_usage_error()
    {
        var config = Config(TinyWorld.TempDir("dp-mpich"), 2);
        Environment.SetEnvironmentVariable("PMI_SIZE", "2");
        try
        {
            var (code, _, error) = Unimog.Run("train", "--config", config);
            Assert.Equal(2, code);
            Assert.Contains("PMI_SIZE is set", error);
            Assert.Contains("use Open MPI's mpirun", error);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PMI_SIZE", null);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
