using UnimoG.Data.Config;
using System.Net;

namespace UnimoG.Hosting.Options;

/// <summary>Section <c>Hosting</c>: where a service listens and how large its messages may be.</summary>
public sealed class HostingOptions : IValidatedOptions
{
    public const string Section = "Hosting";

    /// <summary>The HTTP/2-only gRPC endpoint (plaintext unless <c>Tls:Enabled</c>).</summary>
    public int GrpcPort { get; set; } = 5000;

    /// <summary>The HTTP/1 endpoint for <c>/metrics</c> (Prometheus) and <c>/healthz</c>.</summary>
    public int MetricsPort { get; set; } = 9090;

    /// <summary>An IP address, or <c>*</c> for every interface.</summary>
    public string ListenAddress { get; set; } = "*";

    /// <summary>Largest single gRPC message received; streams enforce their own totals.</summary>
    public int MaxReceiveMessageBytes { get; set; } = 8 * 1024 * 1024;

    public int MaxSendMessageBytes { get; set; } = 8 * 1024 * 1024;

    public IEnumerable<string> Validate(string section)
    {
        foreach (var e in Check.Port($"{section}:GrpcPort", GrpcPort)) yield return e;
        foreach (var e in Check.Port($"{section}:MetricsPort", MetricsPort)) yield return e;
        if (GrpcPort == MetricsPort)
            yield return $"{section}:GrpcPort and {section}:MetricsPort must differ (gRPC is HTTP/2-only, metrics HTTP/1), both are {GrpcPort}.";
        if (ListenAddress != "*" && !IPAddress.TryParse(ListenAddress, out _))
            yield return $"{section}:ListenAddress must be an IP address or '*', got '{ListenAddress}'.";
        if (MaxReceiveMessageBytes < 1024)
            yield return $"{section}:MaxReceiveMessageBytes must be at least 1024, got {MaxReceiveMessageBytes}.";
        if (MaxSendMessageBytes < 1024)
            yield return $"{section}:MaxSendMessageBytes must be at least 1024, got {MaxSendMessageBytes}.";
    }
}

/// <summary>Section <c>Shutdown</c>: what happens between SIGTERM and exit.</summary>
public sealed class ShutdownOptions : IValidatedOptions
{
    public const string Section = "Shutdown";

    /// <summary>Time between going NotServing and waiting for calls, so balancers stop sending (k8s: ~5 s).</summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How long in-flight calls may run on after SIGTERM before their call tokens are cancelled.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long cancelled calls get to unwind before the server closes their connections.</summary>
    public TimeSpan CancelGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The whole budget: the host's own shutdown timeout is set a little above it.</summary>
    public TimeSpan Total => DrainDelay + Timeout + CancelGrace;

    public IEnumerable<string> Validate(string section) =>
        Check.NotNegative($"{section}:DrainDelay", DrainDelay)
            .Concat(Check.NotNegative($"{section}:Timeout", Timeout))
            .Concat(Check.NotNegative($"{section}:CancelGrace", CancelGrace));
}

/// <summary>
/// Section <c>Tls</c>: this service's certificate (served, and presented as a client certificate when it
/// calls other services) and the CA that signs its peers.
/// </summary>
public sealed class TlsOptions : IValidatedOptions
{
    public const string Section = "Tls";

    /// <summary>Serve gRPC over TLS, and call other services over TLS.</summary>
    public bool Enabled { get; set; }

    /// <summary>PEM certificate (chain) of this service.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM CA certificate that must sign client certificates (server side) and servers (client side).</summary>
    public string? CaPath { get; set; }

    /// <summary>Mutual TLS: refuse connections without a client certificate signed by <see cref="CaPath"/>.</summary>
    public bool RequireClientCertificate { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        if (!Enabled)
        {
            if (RequireClientCertificate)
                yield return $"{section}:RequireClientCertificate needs {section}:Enabled=true.";
            yield break;
        }
        if (string.IsNullOrWhiteSpace(CertificatePath) || string.IsNullOrWhiteSpace(KeyPath))
            yield return $"{section}:Enabled is true, so {section}:CertificatePath and {section}:KeyPath (PEM files) are required.";
        if (string.IsNullOrWhiteSpace(CaPath))
            yield return $"{section}:Enabled is true, so {section}:CaPath (the PEM CA that signs peers) is required.";
        foreach (var e in Check.FileExists($"{section}:CertificatePath", CertificatePath)) yield return e;
        foreach (var e in Check.FileExists($"{section}:KeyPath", KeyPath)) yield return e;
        foreach (var e in Check.FileExists($"{section}:CaPath", CaPath)) yield return e;
    }
}
