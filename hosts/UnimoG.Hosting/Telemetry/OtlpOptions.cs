using OpenTelemetry.Exporter;
using UnimoG.Hosting.Options;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Telemetry;

/// <summary>Section <c>Otlp</c>: traces and metrics are also exported over OTLP when <see cref="Endpoint"/> is set.</summary>
public sealed class OtlpOptions : IValidatedOptions
{
    public const string Section = "Otlp";

    /// <summary>e.g. <c>http://otel-collector:4317</c> (gRPC) or <c>http://collector:4318</c> (HTTP/protobuf).</summary>
    public string? Endpoint { get; set; }

    public OtlpExportProtocol Protocol { get; set; } = OtlpExportProtocol.Grpc;

    /// <summary>Extra headers, e.g. <c>api-key=...</c>, comma separated as OTEL_EXPORTER_OTLP_HEADERS.</summary>
    public string? Headers { get; set; }

    /// <summary>Fraction of new traces sampled (callers' sampling decisions are kept).</summary>
    public double SampleRatio { get; set; } = 1.0;

    public IEnumerable<string> Validate(string section)
    {
        foreach (var e in Check.AbsoluteUri($"{section}:Endpoint", Endpoint, "http", "https")) yield return e;
        if (SampleRatio is < 0 or > 1)
            yield return $"{section}:SampleRatio must be between 0 and 1, got {SampleRatio}.";
    }
}
