using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Options;

namespace UnimoG.Hosting.Shutdown;

/// <summary>Something to do the moment shutdown begins (e.g. leave service discovery).</summary>
public interface IDrainParticipant
{
    Task OnDrainAsync(CancellationToken cancellationToken);
}

/// <summary>
/// On SIGTERM (host stopping, before the server stops): health goes NotServing at once, drain participants
/// run, new calls are refused, in-flight calls get <c>Shutdown:Timeout</c> to finish; then their call tokens
/// are cancelled and they get <c>Shutdown:CancelGrace</c> to unwind before the server closes connections.
/// </summary>
internal sealed class GracefulShutdown(
    Readiness readiness,
    InFlightCalls calls,
    IEnumerable<IDrainParticipant> participants,
    IOptions<ShutdownOptions> options,
    ILogger<GracefulShutdown> log) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        readiness.BeginDrain();
        log.LogInformation("Shutting down: health is NotServing; {Count} call(s) in flight", calls.Count);
        foreach (var p in participants)
        {
            try
            {
                await p.OnDrainAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "Drain step {Participant} failed", p.GetType().Name);
            }
        }
        if (o.DrainDelay > TimeSpan.Zero)
            await Task.Delay(o.DrainDelay, cancellationToken);
        calls.RefuseNewCalls();
        if (await calls.WaitIdleAsync(o.Timeout, cancellationToken))
        {
            log.LogInformation("All calls finished; stopping");
            return;
        }
        log.LogWarning("{Count} call(s) still running after Shutdown:Timeout {Timeout}; cancelling them", calls.Count, o.Timeout);
        calls.CancelAll();
        if (!await calls.WaitIdleAsync(o.CancelGrace, cancellationToken))
            log.LogWarning("{Count} call(s) ignored cancellation; the server will abort them", calls.Count);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
