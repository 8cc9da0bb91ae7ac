using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UnimoG.Client;
using UnimoG.DataPrep;
using UnimoG.Denoiser;
using UnimoG.Engines.Inference;
using UnimoG.Engines.InProcess;
using UnimoG.Encoder;
using UnimoG.Gateway;
using UnimoG.Hosting;
using UnimoG.Studio;
using UnimoG.Trainer;
using UnimoG.Vae;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog serve --role encoder|denoiser|vae|gateway|all|dataprep|trainer --urls http://127.0.0.1:5000</c>: runs
/// services exactly as their own hosts do (the hosting library's defaults). The gateway finds the others from
/// configuration (<c>Services__encoder__Address</c>, ... or Consul), or from --encoder/--denoiser/--vae; <c>all</c> runs
/// the four generation services in one host with the gateway calling the others in process. <c>dataprep</c> reads
/// section <c>DataPrep</c> and <c>trainer</c> <c>Trainer:ConfigPath</c> (environment or <c>--set KEY=VALUE</c>);
/// neither uses a model folder. Roles <c>gateway</c> and <c>all</c> also serve the browser studio (<c>Studio:*</c>).
/// </summary>
internal static class ServeCommand
{
    public static readonly string[] Roles = ["encoder", "denoiser", "vae", "gateway", "all", "dataprep", "trainer"];

    /// <summary>Roles that run the generation model (and read <c>Model:*</c>).</summary>
    private static bool UsesModel(string role) => role is "encoder" or "denoiser" or "vae" or "gateway" or "all";

    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "which service to run", Required = true };
        role.AcceptOnlyFromAmong(Roles);
        var urls = new Option<string>("--urls") { Description = "where gRPC listens (HTTP/2): http://IP:PORT", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var metrics = new Option<int?>("--metrics-port") { Description = "HTTP/1 port for /metrics and /healthz (default: the gRPC port + 1000)" };
        var model = new Option<string?>("--model") { Description = $"model folder (default Model__Path, else {ModelPaths.DefaultRelative})" };
        var encoder = new Option<string?>("--encoder") { Description = "gateway: the encoder's URL (else Services__encoder__Address or Consul)" };
        var denoiser = new Option<string?>("--denoiser") { Description = "gateway: the denoiser's URL" };
        var vae = new Option<string?>("--vae") { Description = "gateway: the VAE's URL" };
        var device = new Option<string?>("--device") { Description = "model roles: cpu, cuda or cuda:N (Model:Device; a role's own Encoder:/Denoiser:/Vae:Device wins)" };
        var dtype = new Option<string?>("--dtype") { Description = "model roles: float32, bfloat16 or float16 (Model:Dtype; e.g. --set Vae:Dtype=float32 for one role)" };
        var set = new Option<string[]>("--set")
        {
            Description = "a setting KEY=VALUE (repeatable; ':' or '__' between sections), e.g. DataPrep:Masks=alpha, Trainer:ConfigPath=run.json",
            AllowMultipleArgumentsPerToken = false,
        };
        var command = new Command("serve", "Run a UNIMO-G service (or the four generation services) over gRPC.") { role, urls, metrics, model, encoder, denoiser, vae, device, dtype, set };
        command.SetAction(async (parse, ct) =>
        {
            var settings = Settings(parse.GetValue(set) ?? []);
            var r = parse.GetValue(role)!;
            if ((parse.GetValue(device) ?? parse.GetValue(dtype)) is not null && !UsesModel(r))
                throw new UsageException($"--device and --dtype place the models of the encoder, denoiser and VAE; --role {r} has none");
            if (parse.GetValue(device) is { } d) settings["Model:Device"] = d;
            if (parse.GetValue(dtype) is { } t) settings["Model:Dtype"] = t;
            var app = Build(r, parse.GetValue(urls)!, parse.GetValue(metrics), parse.GetValue(model),
                parse.GetValue(encoder), parse.GetValue(denoiser), parse.GetValue(vae), settings);
            await app.StartAsync(ct);
            // Once it listens: scripts and the studio's browser test read the page's URL from this line.
            if (app.Services.GetService<StudioEndpoint>() is { } studio) Console.Out.WriteLine(studio.Announcement);
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary><c>--set</c> values as configuration keys.</summary>
    internal static Dictionary<string, string?> Settings(IEnumerable<string> pairs)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0) throw new UsageException($"--set takes KEY=VALUE (e.g. DataPrep:Masks=alpha), got '{pair}'");
            settings[pair[..eq].Trim().Replace("__", ":", StringComparison.Ordinal)] = pair[(eq + 1)..];
        }
        return settings;
    }

    /// <summary>The host for a role, configured like its own Program.cs (plus the command-line settings).</summary>
    /// <param name="configure">Called on the builder last, before it is built (tests add exporters here).</param>
    public static WebApplication Build(string role, string urls, int? metricsPort, string? model, string? encoderUrl, string? denoiserUrl, string? vaeUrl,
        IDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        if (!Roles.Contains(role)) throw new UsageException($"--role must be one of {string.Join(", ", Roles)}, got '{role}'");
        if (!UsesModel(role) && model is not null)
            throw new UsageException($"--model does not apply to --role {role}; its settings are {(role == "dataprep" ? "DataPrep:*" : "Trainer:ConfigPath and the run configuration")}");
        if (role != "gateway" && (encoderUrl ?? denoiserUrl ?? vaeUrl) is not null)
            throw new UsageException($"--encoder, --denoiser and --vae are the gateway's; --role {role} does not call other services");
        if (!Uri.TryCreate(urls, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.Port <= 0)
            throw new UsageException($"--urls must be http://IP:PORT (gRPC over HTTP/2 without TLS; TLS comes from Tls:* settings), got '{urls}'");
        var config = new Dictionary<string, string?>
        {
            ["Hosting:GrpcPort"] = uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hosting:MetricsPort"] = (metricsPort ?? uri.Port + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hosting:ListenAddress"] = uri.Host is "localhost" ? "127.0.0.1" : uri.Host is "0.0.0.0" or "*" or "+" ? "*" : uri.Host,
        };
        if (UsesModel(role) && (model is not null || Environment.GetEnvironmentVariable("Model__Path") is null))
            config["Model:Path"] = ModelPaths.Resolve(model);
        if (encoderUrl is not null) config["Services:encoder:Address"] = encoderUrl;
        if (denoiserUrl is not null) config["Services:denoiser:Address"] = denoiserUrl;
        if (vaeUrl is not null) config["Services:vae:Address"] = vaeUrl;
        foreach (var (k, v) in settings) config[k] = v;

        var b = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ApplicationName = typeof(ServeCommand).Assembly.GetName().Name });
        b.Configuration.AddInMemoryCollection(config);
        b.Configuration.AddEnvironmentVariables(); // deployment settings win over the command's defaults
        b.AddUnimoGDefaults(role == "all" ? "unimog" : role);
        if (role is "encoder" or "all") b.AddEncoder();
        if (role is "denoiser" or "all") b.AddDenoiser();
        if (role is "vae" or "all") b.AddVae();
        if (role is "gateway" or "all")
        {
            if (role == "all")
            {
                // One host: the gateway calls the other three in process.
                b.Services.AddSingleton<IEncoderClient>(sp => new InProcessEncoder(() => sp.GetRequiredService<ModelSlot<EncoderEngine>>().Value));
                b.Services.AddSingleton<IDenoiserClient>(sp => new InProcessDenoiser(() => sp.GetRequiredService<ModelSlot<DenoiseBatcher>>().Value));
                b.Services.AddSingleton<IVaeClient>(sp => new InProcessVae(() => sp.GetRequiredService<ModelSlot<VaeEngine>>().Value));
            }
            b.AddGateway();
            b.AddUnimoGStudio();   // the browser page and gRPC-Web on a port of their own (Studio:*, default gRPC port + 1)
        }
        if (role == "dataprep") b.AddDataPrep();
        if (role == "trainer") b.AddTrainer();
        configure?.Invoke(b);
        var app = b.Build();
        app.MapUnimoGDefaults();
        if (role is "encoder" or "all") app.MapEncoder();
        if (role is "denoiser" or "all") app.MapDenoiser();
        if (role is "vae" or "all") app.MapVae();
        if (role is "gateway" or "all") app.MapGateway();
        if (role == "dataprep") app.MapDataPrep();
        if (role == "trainer") app.MapTrainer();
        return app;
    }
}
