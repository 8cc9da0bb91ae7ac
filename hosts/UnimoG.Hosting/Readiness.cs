using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace UnimoG.Hosting;

/// <summary>
/// Whether this replica should receive work. gRPC health (service "") and <c>/healthz</c> report NotServing
/// while any registered gate is open (e.g. "model" until the weights are loaded) or once shutdown has begun.
/// <code>
/// readiness.Require("model");            // at start-up, before the host starts
/// ... load the model ...
/// readiness.Complete("model");           // health turns Serving
/// </code>
/// </summary>
public sealed class Readiness
{
    private readonly ConcurrentDictionary<string, string> pending = new(StringComparer.Ordinal);
    private volatile bool draining;

    /// <summary>Health stays NotServing until <see cref="Complete"/> is called with the same name.</summary>
    public void Require(string gate, string? why = null) => pending[gate] = why ?? $"waiting for {gate}";

    public void Complete(string gate) => pending.TryRemove(gate, out _);

    /// <summary>Shutdown has begun: NotServing for good.</summary>
    public bool IsDraining => draining;

    public bool IsReady => !draining && pending.IsEmpty;

    internal void BeginDrain() => draining = true;

    /// <summary>Why the replica is not ready, or null when it is.</summary>
    public string? Reason =>
        draining ? "shutting down"
        : pending.IsEmpty ? null
        : string.Join("; ", pending.Values.Order(StringComparer.Ordinal));
}

/// <summary>The health check behind gRPC health service "" and <c>/healthz</c>.</summary>
internal sealed class ReadinessHealthCheck(Readiness readiness) : IHealthCheck
{
    public const string Name = "readiness";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.Reason is { } why ? HealthCheckResult.Unhealthy(why) : HealthCheckResult.Healthy());
}
