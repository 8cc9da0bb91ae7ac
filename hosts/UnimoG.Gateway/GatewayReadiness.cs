using UnimoG.Engines.Gateway;
using UnimoG.Hosting;

namespace UnimoG.Gateway;

/// <summary>
/// The gateway is ready once it knows the served model (the denoiser's description, which needs the denoiser's
/// model loaded): until then gRPC health says NOT_SERVING with the reason, and it keeps asking every second.
/// </summary>
public sealed class GatewayReadiness(GenerationPipeline pipeline, Readiness readiness, ILogger<GatewayReadiness> log) : BackgroundService
{
    private const string Gate = "served model";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        readiness.Require(Gate, "asking the denoiser which model it serves");
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? last = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var info = await pipeline.ModelAsync(stoppingToken);
                readiness.Complete(Gate);
                log.LogInformation("serving model '{Model}'{Untrained}", info.Model, info.Untrained ? " (UNTRAINED: random weights)" : "");
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                if (e.Message != last) log.LogWarning("the denoiser cannot describe its model yet: {Reason}", e.Message);
                last = e.Message;
                readiness.Require(Gate, $"waiting for the denoiser: {e.Message}");
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }
}
