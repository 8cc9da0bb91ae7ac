using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UnimoG.Client;
using UnimoG.Denoiser;
using UnimoG.Encoder;
using UnimoG.Gateway;
using UnimoG.Hosting;
using UnimoG.Serving;
using UnimoG.Vae;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog serve --role encoder|denoiser|vae|gateway|all --urls http://127.0.0.1:5000</c>: runs services exactly
/// as their own hosts do (the hosting library's defaults). The gateway finds the others from configuration
/// (<c>Services__encoder__Address</c>, ... or Consul), or from --encoder/--denoiser/--vae; <c>all</c> runs the four
/// in one host with the gateway calling the others in process.
/// </summary>
internal static class ServeCommand
{
    public static readonly string[] Roles = ["encoder", "denoiser", "vae", "gateway", "all"];

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
        var command = new Command("serve", "Run a UNIMO-G service (or all of them) over gRPC.") { role, urls, metrics, model, encoder, denoiser, vae };
        command.SetAction(async (parse, ct) =>
        {
            var app = Build(parse.GetValue(role)!, parse.GetValue(urls)!, parse.GetValue(metrics), parse.GetValue(model),
                parse.GetValue(encoder), parse.GetValue(denoiser), parse.GetValue(vae), new Dictionary<string, string?>());
            await app.StartAsync(ct);
            await app.WaitForShutdownAsync(ct);
            return 0;
        });
        return command;
    }

    /// <summary>The host for a role, configured like its own Program.cs (plus the command-line settings).</summary>
    public static WebApplication Build(string role, string urls, int? metricsPort, string? model, string? encoderUrl, string? denoiserUrl, string? vaeUrl,
        IDictionary<string, string?> settings)
    {
        if (!Roles.Contains(role)) throw new UsageException($"--role must be one of {string.Join(", ", Roles)}, got '{role}'");
        if (!Uri.TryCreate(urls, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.Port <= 0)
            throw new UsageException($"--urls must be http://IP:PORT (gRPC over HTTP/2 without TLS; TLS comes from Tls:* settings), got '{urls}'");
        var config = new Dictionary<string, string?>
        {
            ["Hosting:GrpcPort"] = uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hosting:MetricsPort"] = (metricsPort ?? uri.Port + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Hosting:ListenAddress"] = uri.Host is "localhost" ? "127.0.0.1" : uri.Host is "0.0.0.0" or "*" or "+" ? "*" : uri.Host,
        };
        if (model is not null || Environment.GetEnvironmentVariable("Model__Path") is null)
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
            b.AddGatewayAuth();
            if (role == "all")
            {
                // One host: the gateway calls the other three in process.
                b.Services.AddSingleton<IEncoderClient>(sp => new InProcessEncoder(() => sp.GetRequiredService<ModelSlot<EncoderEngine>>().Value));
                b.Services.AddSingleton<IDenoiserClient>(sp => new InProcessDenoiser(() => sp.GetRequiredService<ModelSlot<DenoiseBatcher>>().Value,
                    sp.GetRequiredService<DenoiserOptions>()));
                b.Services.AddSingleton<IVaeClient>(sp => new InProcessVae(() => sp.GetRequiredService<ModelSlot<VaeEngine>>().Value));
            }
            b.AddGateway();
        }
        var app = b.Build();
        app.MapUnimoGDefaults();
        if (role is "encoder" or "all") app.MapEncoder();
        if (role is "denoiser" or "all") app.MapDenoiser();
        if (role is "vae" or "all") app.MapVae();
        if (role is "gateway" or "all") app.MapGateway();
        return app;
    }
}
