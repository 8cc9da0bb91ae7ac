using Microsoft.Extensions.Logging;
using TorchSharp.Modules;
using UnimoG.Distributed;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Training;

/// <summary>
/// The checkpoint parts that depend on the ranks. AdamW's moments are always written whole, per parameter
/// (<c>exp_avg.NAME</c>, <c>exp_avg_sq.NAME</c>), as a single process writes them: with ZeRO-1 rank 0 gathers the
/// shards first, and on resume every rank cuts its own shard out of them, so a checkpoint of N ranks resumes on M.
/// The generators: <c>generator</c> (rank 0's, or the one shared generator of global draws) and, with per-rank
/// generators, <c>generator.rankR</c>; the metadata names the number of ranks and the mode.
/// </summary>
public sealed partial class Trainer
{
    private IReadOnlyList<string> ParameterNames => [.. _c.UNet.named_parameters().Select(p => p.name)];

    /// <summary>The moments to write (on rank 0), AdamW's step, and the tensors made here (to dispose).</summary>
    private (List<KeyValuePair<string, Tensor>> Moments, long Step, List<Tensor> Owned) Moments()
    {
        var names = ParameterNames;
        var moments = new List<KeyValuePair<string, Tensor>>();
        var states = _optimizer.state_dict().State;
        if (_parallel?.Zero is not { } zero)
        {
            long step = 0;
            for (var i = 0; i < states.Count; i++)
            {
                var s = (AdamW.State)states[i];
                step = s.step;
                moments.Add(KeyValuePair.Create($"exp_avg.{names[i]}", s.exp_avg));
                moments.Add(KeyValuePair.Create($"exp_avg_sq.{names[i]}", s.exp_avg_sq));
            }
            return (moments, step, []);
        }
        var shard = (AdamW.State)states[0];
        var owned = new List<Tensor>();
        foreach (var (kind, part) in new[] { ("exp_avg", shard.exp_avg), ("exp_avg_sq", shard.exp_avg_sq) })
        {
            var whole = Gather(part, zero.Counts);
            if (whole is null) continue;
            owned.Add(whole);
            for (var i = 0; i < _parameters.Length; i++)
                moments.Add(KeyValuePair.Create($"{kind}.{names[i]}", whole.narrow(0, _parallel.Layout!.Offsets[i], _parameters[i].numel()).view(_parameters[i].shape)));
        }
        return (moments, shard.step, owned);
    }

    /// <summary>Every rank's part (host memory) on rank 0, end to end; null elsewhere.</summary>
    private unsafe Tensor? Gather(Tensor part, IReadOnlyList<long> counts)
    {
        using var host = part.cpu().contiguous();
        var whole = IsRoot ? zeros([counts.Sum()], dtype: host.dtype) : null;
        var receive = whole is null ? IntPtr.Zero : Distributed.TensorMemory.Address(whole);
        _parallel!.World.GatherV(Distributed.TensorMemory.Address(host), receive, [.. counts],
            host.dtype == ScalarType.Float32 ? ElementType.Float32 : ElementType.Byte, 0, "optimizer shards to rank 0");
        return whole;
    }

    private void LoadMoments(SafetensorsFile opt)
    {
        var adamStep = long.Parse(opt.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture);
        var names = ParameterNames;
        var states = _optimizer.state_dict().State;
        if (_parallel?.Zero is { } zero)
        {
            var s = (AdamW.State)states[0];
            s.step = adamStep;
            foreach (var (i, _, _, _) in _parallel.Layout!.Pieces(zero.Start, zero.Count))
            {
                using var avg = opt.Read($"exp_avg.{names[i]}");
                using var sq = opt.Read($"exp_avg_sq.{names[i]}");
                zero.Scatter(i, avg, s.exp_avg);
                zero.Scatter(i, sq, s.exp_avg_sq);
            }
            return;
        }
        for (var i = 0; i < states.Count; i++)
        {
            var s = (AdamW.State)states[i];
            s.step = adamStep;
            using var avg = opt.Read($"exp_avg.{names[i]}");
            using var sq = opt.Read($"exp_avg_sq.{names[i]}");
            s.exp_avg.copy_(avg);
            s.exp_avg_sq.copy_(sq);
        }
    }

    /// <summary>The generator states to write (on rank 0) and the file's metadata (none for a single process: the file is as before).</summary>
    private (List<KeyValuePair<string, Tensor>> States, Dictionary<string, string>? Meta) GeneratorStates()
    {
        var state = _generator.get_state();
        if (_parallel is null) return ([KeyValuePair.Create("generator", state)], null);
        var meta = new Dictionary<string, string> { ["world_size"] = Ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), ["random"] = _parallel.Settings.Random };
        if (_parallel.Settings.Random == "global") return ([KeyValuePair.Create("generator", state)], meta);
        using (state)
        {
            var all = Gather(state, [.. Enumerable.Repeat(state.numel(), Ranks)]);
            if (all is null) return ([], meta);
            using (all)
                return ([.. Enumerable.Range(0, Ranks).Select(r => KeyValuePair.Create(r == 0 ? "generator" : $"generator.rank{r}", all.narrow(0, r * state.numel(), state.numel()).clone()))], meta);
        }
    }

    /// <summary>
    /// This rank's generator from the checkpoint: its own state when the checkpoint was made with as many ranks (or by
    /// a single process, for one rank); otherwise freshly derived from (seed, rank, step), reproducibly.
    /// </summary>
    private void LoadGenerator(SafetensorsFile file)
    {
        var savedRanks = file.Metadata.TryGetValue("world_size", out var w) ? int.Parse(w, System.Globalization.CultureInfo.InvariantCulture) : 1;
        var savedMode = file.Metadata.TryGetValue("random", out var m) ? m : "rank";
        // One rank's generator serves every row: per-rank and global draws are the same thing there.
        var (saved, mode) = (savedRanks == 1 ? "global" : savedMode, Ranks == 1 ? "global" : _parallel!.Settings.Random);
        var own = mode == "global" || _parallel!.Rank == 0 ? "generator" : $"generator.rank{_parallel.Rank}";
        if (saved == mode && (mode == "global" || savedRanks == Ranks))
        {
            using var g = file.Read(own);
            _generator.set_state(g);
            return;
        }
        _generator.manual_seed(RankSeed(_config.Seed, _parallel?.Rank ?? 0, Step));
        if (IsRoot)
            _log.LogWarning("The checkpoint's random generators ({Saved} rank(s), {SavedMode} draws) do not fit this run ({Ranks} rank(s), {Mode} draws): "
                + "each rank's generator is derived anew from the seed, its rank and step {Step}", savedRanks, savedMode, Ranks, mode, Step);
    }
}
