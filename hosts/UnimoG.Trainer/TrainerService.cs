using UnimoG.Engines.Trainer.Runs;
using Grpc.Core;
using UnimoG.Contracts.V1;
using UnimoG.Hosting.Shutdown;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Data.Config;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Training;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Trainer;

/// <summary>The Trainer gRPC service: a thin adapter from the contract to <see cref="Training.Trainer"/> runs.</summary>
public sealed class TrainerService(RunManager runs, Func<TrainingConfig, TrainingComponents>? load = null) : V1.Trainer.TrainerBase
{
    private readonly Func<TrainingConfig, TrainingComponents> _load = load ?? TrainingComponents.Load;

    public override Task<RunInfo> StartRun(StartRunRequest request, ServerCallContext context)
    {
        TrainingConfig config;
        try
        {
            config = TrainingConfig.Parse(request.ConfigJson, string.IsNullOrEmpty(request.BaseDir) ? null : request.BaseDir);
        }
        catch (ConfigException e)
        {
            throw Invalid(e.Key, e.Message);
        }
        TrainingRun run;
        try
        {
            run = runs.Start(config, request.Resume, _load);
        }
        catch (ConfigException e) when (e.File == config.File) { throw Invalid(e.Key, e.Message); }
        catch (InvalidOperationException e) { throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message)); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or CheckpointMismatchException or ConfigException or InvalidDataException or KeyNotFoundException)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, e.Message.ReplaceLineEndings(" ")));
        }
        return Task.FromResult(Info(run, "started"));
    }

    public override async Task WatchRun(WatchRunRequest request, IServerStreamWriter<TrainingMetrics> responseStream, ServerCallContext context)
    {
        var run = Find(request.RunId);
        var reader = run.Trainer.Progress.Subscribe();
        var token = context.CallToken();
        await foreach (var p in reader.ReadAllAsync(token))
            await responseStream.WriteAsync(Metrics(run.Id, p), token);
    }

    public override async Task<RunInfo> StopRun(StopRunRequest request, ServerCallContext context)
    {
        var run = Find(request.RunId);
        run.Stop(request.Checkpoint);
        try { await run.Completion.WaitAsync(context.CallToken()); }
        catch (Exception e) when (e is not OperationCanceledException) { return Info(run, e.Message); }
        return Info(run, "stopped");
    }

    public override Task<ListCheckpointsResponse> ListCheckpoints(ListCheckpointsRequest request, ServerCallContext context)
    {
        string dir;
        if (request.RunId.Length > 0) dir = Find(request.RunId).Config.OutputDir;
        else if (request.OutputDir.Length > 0) dir = request.OutputDir;
        else throw Invalid("run_id", "give run_id or output_dir");
        var store = UnimoG.Data.Checkpoints.CheckpointStore.ForRun(dir);
        var response = new ListCheckpointsResponse();
        foreach (var c in store.List())
            response.Checkpoints.Add(new V1.CheckpointInfo
            {
                Path = c.Path,
                Step = c.Step,
                Valid = c.Valid,
                Problem = c.Problem ?? "",
                CreatedUtc = c.CreatedUtc?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "",
            });
        return Task.FromResult(response);
    }

    private TrainingRun Find(string id) => runs.Find(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no run '{id}' in this trainer"));

    private static RunInfo Info(TrainingRun run, string message) => new()
    {
        RunId = run.Id,
        State = run.State.ToString().ToLowerInvariant(),
        Step = run.Trainer.Progress.Last?.Step ?? 0,
        OutputDir = run.Config.OutputDir,
        Message = message,
    };

    public static TrainingMetrics Metrics(string runId, TrainingProgress p) => new()
    {
        RunId = runId,
        Step = p.Step,
        TotalSteps = p.TotalSteps,
        Loss = p.Loss,
        MseLoss = p.MseLoss,
        AttnLoss = p.AttnLoss ?? 0,
        HasAttnLoss = p.AttnLoss is not null,
        LearningRate = p.LearningRate,
        SamplesPerSecond = p.SamplesPerSecond,
        Phase = p.Phase,
        State = p.State.ToString().ToLowerInvariant(),
        Checkpoint = p.Checkpoint ?? "",
        Message = p.Message ?? "",
    };

    private static RpcException Invalid(string field, string message) =>
        new(new Status(StatusCode.InvalidArgument, message), new Metadata { { "field", field } });
}
