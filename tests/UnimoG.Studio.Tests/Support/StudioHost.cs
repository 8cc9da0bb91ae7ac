using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Engines.Inference;
using UnimoG.Engines.Telemetry;
using UnimoG.Hosting;
using UnimoG.Modeling.Pipelines;
using UnimoG.TestSupport;

namespace UnimoG.Studio.Tests.Support;

/// <summary>
/// <c>unimog serve --role all</c> on loopback, built as the CLI builds it (<c>ServeCommand.Build</c>), over the tiny
/// untrained mini model the service tests use (made once per run by the real generator, seed 7). The studio listens on
/// its own port (<c>Studio:Url</c>); <see cref="Batcher"/> is the server's denoise batcher, so a test can see whether
/// the server is still working on a request.
/// </summary>
public class StudioHost : IAsyncLifetime
{
    private WebApplication? _app;
    private readonly MeterListener _steps = new();
    private long _denoiseSteps;

    /// <summary>Denoising steps the server has run (one per step of a batch), counted from its step-duration metric.</summary>
    public long DenoiseSteps => Interlocked.Read(ref _denoiseSteps);

    public string GrpcUrl { get; } = $"http://127.0.0.1:{FreePort()}";

    public string StudioUrl { get; } = $"http://127.0.0.1:{FreePort()}/";

    public static string ModelFolder => LazyModel.Value;

    private static readonly Lazy<string> LazyModel = new(MakeModel);

    public static string Tokenizer => Path.Combine(RepoPaths.Shared, "tokenizers", "llama2", "tokenizer.model");

    /// <summary>The batcher of the host's denoiser (loaded once the host is ready).</summary>
    public DenoiseBatcher Batcher => Services.GetRequiredService<ModelSlot<DenoiseBatcher>>().Value;

    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("the host is not started");

    /// <summary>Settings of a derived host, over the ones above.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Log:MinimumLevel"] = "Warning",
            ["Studio:Url"] = StudioUrl.TrimEnd('/'),
            // One request denoised at a time, so a second one waits in the queue (the page shows its position).
            ["Denoiser:MaxBatchImages"] = "1",
        };
        foreach (var (k, v) in Settings) settings[k] = v;
        // UNIMOG_STUDIO_TEST_MODEL=models/unimog-mini: the trained model instead (its own tokenizer), for a screenshot
        // with a picture in it (docs/studio.md); the checks are the same.
        var given = Environment.GetEnvironmentVariable("UNIMOG_STUDIO_TEST_MODEL");
        var model = string.IsNullOrEmpty(given) ? ModelFolder : Path.GetFullPath(given, RepoPaths.Root);
        if (string.IsNullOrEmpty(given)) settings["Model:TokenizerPath"] = Tokenizer;
        _steps.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == UnimoGMetrics.MeterName && instrument.Name == "unimog.step.duration") listener.EnableMeasurementEvents(instrument);
        };
        _steps.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: "step", Value: "denoise" }) Interlocked.Increment(ref _denoiseSteps);
        });
        _steps.Start();
        _app = Build("all", GrpcUrl, FreePort(), model, settings);
        await _app.StartAsync();
        // Ready once the models are loaded (the page's first Describe would otherwise wait for them).
        await Services.GetRequiredService<ModelSlot<DenoiseBatcher>>().Loaded.WaitAsync(TimeSpan.FromMinutes(2));
    }

    public async Task DisposeAsync()
    {
        _steps.Dispose();
        if (_app is null) return;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// <c>ServeCommand.Build</c>: internal to the CLI (its InternalsVisibleTo names the CLI's and the services' test
    /// projects only), so called by name; a change of its signature fails here with the signature it found.
    /// </summary>
    private static WebApplication Build(string role, string urls, int metricsPort, string model, IDictionary<string, string?> settings)
    {
        var type = typeof(UnimoG.Cli.CliApp).Assembly.GetType("UnimoG.Cli.ServeCommand", throwOnError: true)!;
        var build = type.GetMethod("Build", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new MissingMethodException("UnimoG.Cli.ServeCommand", "Build");
        object?[] args = [role, urls, metricsPort, model, null, null, null, settings, null];
        try
        {
            return (WebApplication)build.Invoke(null, args)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"ServeCommand.Build is now {build}: update StudioHost", e);
        }
    }

    private static string MakeModel()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"unimog-studio-tests-{Environment.ProcessId}", "unimog-mini");
        if (!File.Exists(Path.Combine(dir, "model_index.json"))) PlaceholderModel.Create(dir, seed: 7);
        return dir;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
