using System.Text.Json;
using UnimoG.Data.Shards;
using UnimoG.Engines.DataPrep.Shards;

namespace UnimoG.Engines.DataPrep.Pipeline;

/// <summary>Progress of a job: shards finished or skipped, samples done and failed.</summary>
public sealed record PrepProgress(int ShardsDone, int ShardsTotal, int SamplesDone, int Errors, string? Shard);

/// <summary>
/// Which input shards a process prepares: those whose position in name order, modulo <see cref="Count"/>, is
/// <see cref="Index"/> (e.g. a Kubernetes indexed Job: index = the pod's completion index).
/// </summary>
public readonly record struct ShardSlice(int Index, int Count)
{
    public static ShardSlice All => new(0, 1);

    public bool Contains(int position) => position % Count == Index;
}

/// <summary>What a job did.</summary>
public sealed record PrepSummary(int ShardsPrepared, int ShardsSkipped, int Samples, int Errors, IReadOnlyList<string> Outputs);

/// <summary>
/// The batch job: every <c>*.tar</c> shard of the input folder becomes a shard of the same name in the output
/// folder, plus <c>{name}.index.json</c>; shards run in parallel, samples of a shard in order. Resumable: a shard
/// whose index exists (and says complete) is skipped. Crash-safe: the tar and then the index are each written to a
/// <c>.partial</c> name, flushed to disk and renamed, so a shard is visible only when whole and finished only once
/// its index is there; leftover <c>.partial</c> files of an interrupted run are deleted at start.
/// </summary>
public sealed class PrepJob(PrepPipeline pipeline)
{
    public const string PartialSuffix = ".partial";

    public Task<PrepSummary> RunAsync(string inputDir, string outputDir, int workers,
        IProgress<PrepProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(inputDir, outputDir, workers, ShardSlice.All, progress, cancellationToken);

    /// <summary>
    /// Prepares the input shards of <paramref name="slice"/> only (several processes share the folders, e.g. the pods of an
    /// indexed Kubernetes Job): it touches only those shards' outputs, including their leftover <c>.partial</c> files.
    /// </summary>
    public async Task<PrepSummary> RunAsync(string inputDir, string outputDir, int workers, ShardSlice slice,
        IProgress<PrepProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(inputDir))
            throw new DirectoryNotFoundException($"input folder not found: {inputDir}");
        if (workers < 1)
            throw new ArgumentException($"workers must be at least 1, not {workers}");
        var all = Directory.GetFiles(inputDir, "*.tar").OrderBy(p => p, StringComparer.Ordinal).ToList();
        if (all.Count == 0)
            throw new FileNotFoundException($"no *.tar shards in {inputDir}");
        if (Path.GetFullPath(inputDir).TrimEnd('/') == Path.GetFullPath(outputDir).TrimEnd('/'))
            throw new ArgumentException("the output folder must differ from the input folder");
        var shards = all.Where((_, i) => slice.Contains(i)).ToList();
        Directory.CreateDirectory(outputDir);
        foreach (var shard in shards)
        {
            var output = Path.Combine(outputDir, Path.GetFileName(shard));
            File.Delete(output + PartialSuffix);
            File.Delete(IndexPath(output) + PartialSuffix);
        }

        int done = 0, prepared = 0, skipped = 0, samples = 0, errors = 0;
        var outputs = new string[shards.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, shards.Count),
            new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var input = shards[i];
                var output = Path.Combine(outputDir, Path.GetFileName(input));
                outputs[i] = output;
                if (ReadFinishedIndex(output) is { } finished)
                {
                    Interlocked.Increment(ref skipped);
                    Interlocked.Add(ref samples, finished.Samples);
                    Interlocked.Add(ref errors, finished.Errors.Count);
                }
                else
                {
                    await PrepareShardAsync(input, output, (ok) =>
                    {
                        Interlocked.Increment(ref samples);
                        if (!ok) Interlocked.Increment(ref errors);
                        progress?.Report(new PrepProgress(Volatile.Read(ref done), shards.Count, Volatile.Read(ref samples),
                            Volatile.Read(ref errors), Path.GetFileName(input)));
                    }, ct);
                    Interlocked.Increment(ref prepared);
                }
                Interlocked.Increment(ref done);
                progress?.Report(new PrepProgress(Volatile.Read(ref done), shards.Count, Volatile.Read(ref samples),
                    Volatile.Read(ref errors), Path.GetFileName(input)));
            });
        return new PrepSummary(prepared, skipped, samples, errors, outputs);
    }

    public static string IndexPath(string shardPath) => Path.ChangeExtension(shardPath, null) + ".index.json";

    /// <summary>The index of a finished output shard, or null when the shard must be (re)made.</summary>
    public static ShardIndex? ReadFinishedIndex(string shardPath)
    {
        var indexPath = IndexPath(shardPath);
        if (!File.Exists(indexPath) || !File.Exists(shardPath))
            return null;
        try
        {
            var index = JsonSerializer.Deserialize<ShardIndex>(File.ReadAllBytes(indexPath), Json.Options);
            return index is { Complete: true } ? index : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Prepares one shard; <paramref name="onSample"/> is told about each sample (true when it succeeded).</summary>
    public async Task<ShardIndex> PrepareShardAsync(string input, string output, Action<bool>? onSample = null,
        CancellationToken cancellationToken = default)
    {
        var keys = new List<string>();
        var errors = new List<SampleError>();
        int entities = 0, replaced = 0, textOnly = 0, droppedEntities = 0;
        var partial = output + PartialSuffix;
        try
        {
            await using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await using (var writer = new ShardWriter(file, leaveOpen: true))
                {
                    await using var source = File.OpenRead(input);
                    await foreach (var result in PrepareAll(source, errors, cancellationToken))
                    {
                        if (result.Record is { } record)
                        {
                            foreach (var (name, data) in result.Members)
                                await writer.AddAsync(name, data, cancellationToken);
                            keys.Add(result.Key);
                            entities += record.Entities.Count;
                            replaced += record.Entities.Count(e => e.Replaced);
                            textOnly += record.TextOnly ? 1 : 0;
                            droppedEntities += record.Dropped.Count;
                        }
                        else
                            errors.Add(new SampleError(result.Key, result.Error!));
                        onSample?.Invoke(result.Ok);
                    }
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            File.Move(partial, output, overwrite: true);
        }
        catch
        {
            // A cooperative stop cleans up; a hard crash leaves the .partial file, removed by the next run.
            File.Delete(partial);
            throw;
        }

        var index = new ShardIndex
        {
            Shard = Path.GetFileName(output), Source = Path.GetFileName(input), Complete = true,
            Samples = keys.Count, Entities = entities, Replaced = replaced, TextOnly = textOnly,
            DroppedEntities = droppedEntities, Keys = keys, Errors = errors, Settings = pipeline.Settings,
        };
        var indexPath = IndexPath(output);
        await using (var file = new FileStream(indexPath + PartialSuffix, FileMode.Create, FileAccess.Write))
        {
            await JsonSerializer.SerializeAsync(file, index, Json.Indented, cancellationToken);
            file.Flush(flushToDisk: true);
        }
        File.Move(indexPath + PartialSuffix, indexPath, overwrite: true);
        return index;
    }

    /// <summary>Prepared samples of a shard; a malformed archive ends it with a shard-level error (key null).</summary>
    private async IAsyncEnumerable<PrepResult> PrepareAll(Stream source, List<SampleError> errors,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var samples = ShardReader.ReadAsync(source, ct).GetAsyncEnumerator(ct);
        while (true)
        {
            ShardSample<byte[]> sample;
            try
            {
                if (!await samples.MoveNextAsync())
                    break;
                sample = samples.Current;
            }
            catch (InvalidDataException e)
            {
                errors.Add(new SampleError(null, e.Message));
                yield break;
            }
            if (sample.Error is { } error)
                yield return new PrepResult(sample.Key, [], null, error);
            else
                yield return await pipeline.PrepareAsync(new RawSample(sample.Key, sample.Members), ct);
        }
    }
}
