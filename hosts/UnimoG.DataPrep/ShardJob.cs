using UnimoG.Engines.DataPrep;
using Microsoft.Extensions.Logging;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.Hosting;

namespace UnimoG.DataPrep;

/// <summary>
/// Batch-job mode (compose's <c>dataprep</c> profile, the Helm chart's indexed Job): with <c>DataPrep:Input</c> and
/// <c>DataPrep:Output</c> set, the service prepares its slice of the input shards (<c>DataPrep:Shard</c> of
/// <c>DataPrep:ShardCount</c>) as <c>unimog prep</c> does (resumable, crash-safe, per-sample errors in each shard's
/// index), serving gRPC meanwhile, then stops the host: exit code 0 when every shard of the slice is finished, 1 when
/// the job failed. SIGTERM stops it between samples; the shard under way is redone by the next run.
/// </summary>
public sealed class ShardJob(DataPrepOptions options, BackgroundLoad<DataPrepModels> models, IHostApplicationLifetime lifetime,
    ILogger<ShardJob> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var slice = new ShardSlice(options.Shard, options.ShardCount);
        try
        {
            var pipeline = (await models.Loaded.WaitAsync(stoppingToken)).Pipeline;
            log.LogInformation("Preparing shards {Shard} of {ShardCount} from {Input} into {Output} with {Workers} worker(s)",
                slice.Index, slice.Count, options.Input, options.Output, options.Workers);
            var progress = new Progress<PrepProgress>(p =>
            {
                if (p.Shard is { } shard)
                    log.LogDebug("{Shard}: {Samples} samples, {Errors} errors; {Done}/{Total} shards", shard, p.SamplesDone, p.Errors, p.ShardsDone, p.ShardsTotal);
            });
            var summary = await new PrepJob(pipeline).RunAsync(options.Input!, options.Output!, options.Workers, slice, progress, stoppingToken);
            log.LogInformation("Prepared {Prepared} shard(s), skipped {Skipped} finished; {Samples} samples, {Errors} errors (listed in each *.index.json)",
                summary.ShardsPrepared, summary.ShardsSkipped, summary.Samples, summary.Errors);
            Environment.ExitCode = 0;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            log.LogWarning("Stopped before the shards were prepared; a rerun resumes");
            return;
        }
        catch (Exception e)
        {
            log.LogError(e, "Data preparation of {Input} failed: {Reason}", options.Input, e.Message);
            Environment.ExitCode = 1;
        }
        lifetime.StopApplication();
    }
}
