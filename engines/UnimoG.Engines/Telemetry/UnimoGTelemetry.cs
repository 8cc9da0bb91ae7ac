using System.Diagnostics;

namespace UnimoG.Engines.Telemetry;

/// <summary>Our own spans. <c>using var span = UnimoGTelemetry.Source.StartActivity("denoise step");</c></summary>
public static class UnimoGTelemetry
{
    public const string SourceName = "UnimoG";

    public static readonly ActivitySource Source = new(SourceName);
}
