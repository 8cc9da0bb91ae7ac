using UnimoG.Engines.DataPrep;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UnimoG.Hosting;
using UnimoG.Hosting.Options;
using UnimoG.Engines.Telemetry;

namespace UnimoG.DataPrep;

/// <summary>Wiring of data preparation into a host (its own Program.cs, or `unimog serve --role dataprep`).</summary>
public static class DataPrepHost
{
    /// <summary>
    /// Section <c>DataPrep</c> validated at start-up; the models loaded once in the background (health NOT_SERVING
    /// until then); the <c>DataPrep</c> gRPC service; and, when <c>DataPrep:Input</c>/<c>Output</c> are set, the batch
    /// job over this process's shard slice, after which the host stops (<see cref="ShardJob"/>).
    /// </summary>
    public static WebApplicationBuilder AddDataPrep(this WebApplicationBuilder builder)
    {
        var options = UnimoGOptions.Bind<DataPrepOptions>(builder.Services, builder.Configuration, DataPrepOptions.Section);
        var hosting = UnimoGOptions.Read<HostingOptions>(builder.Configuration, HostingOptions.Section);
        // A sample at the byte limits must fit in one gRPC message, or callers would get gRPC's own size error.
        var largest = (long)options.MaxImageBytes + options.MaxMetadataBytes + 4L * options.MaxCaptionChars + 4096;
        if (largest > hosting.MaxReceiveMessageBytes)
            throw new OptionsValidationException(DataPrepOptions.Section, typeof(DataPrepOptions),
            [
                $"{DataPrepOptions.Section}:MaxImageBytes ({options.MaxImageBytes}) with the metadata and caption limits needs messages of {largest} bytes, " +
                $"more than {HostingOptions.Section}:MaxReceiveMessageBytes ({hosting.MaxReceiveMessageBytes}): lower the one or raise the other.",
            ]);
        var s = builder.Services;
        s.AddSingleton(options);
        s.AddSingleton(sp => new BackgroundLoad<DataPrepModels>("data preparation models",
            () => DataPrepModels.Load(options, sp.GetRequiredService<ILogger<DataPrepModels>>()),
            sp.GetRequiredService<Readiness>(), sp.GetRequiredService<ILogger<BackgroundLoad<DataPrepModels>>>(),
            describeFailure: e => e is FileNotFoundException or InvalidDataException ? e.Message : $"the data preparation models failed to load: {e.Message}"));
        s.AddHostedService(sp => sp.GetRequiredService<BackgroundLoad<DataPrepModels>>());
        s.AddSingleton(sp => new DataPrepService(() => sp.GetRequiredService<BackgroundLoad<DataPrepModels>>().Value.Pipeline, options,
            sp.GetRequiredService<UnimoGMetrics>(), sp.GetRequiredService<ILogger<DataPrepService>>(), hosting.MaxSendMessageBytes));
        if (options.IsJob)
            s.AddHostedService<ShardJob>();
        return builder;
    }

    public static WebApplication MapDataPrep(this WebApplication app)
    {
        app.MapGrpcService<DataPrepService>();
        return app;
    }
}
