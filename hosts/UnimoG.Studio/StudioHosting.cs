using Grpc.AspNetCore.Server;
using Grpc.AspNetCore.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Security;

namespace UnimoG.Studio;

/// <summary>
/// The browser studio on an endpoint of its own speaking HTTP/1.1 (<see cref="StudioOptions"/>): the page's static files
/// and gRPC-Web for one gRPC service (the gateway), which stays plain gRPC on the HTTP/2 port. gRPC-Web calls are
/// translated into ordinary gRPC calls, so they pass the same interceptors (request ids, auth, faults, metrics).
/// <code>
/// b.AddUnimoGDefaults("gateway"); b.AddGateway(); b.AddUnimoGStudio();
/// app.MapUnimoGStudio(app.MapGrpcService&lt;GatewayService&gt;());   // MapGateway does this
/// </code>
/// </summary>
public static class StudioHosting
{
    /// <summary>Binds and validates <c>Studio</c>; when enabled, adds its Kestrel endpoint (TLS like the gRPC port's).</summary>
    public static WebApplicationBuilder AddUnimoGStudio(this WebApplicationBuilder builder)
    {
        var studio = UnimoGOptions.Bind<StudioOptions>(builder.Services, builder.Configuration, StudioOptions.Section);
        if (!studio.Enabled) return builder;
        var hosting = UnimoGOptions.Read<HostingOptions>(builder.Configuration, HostingOptions.Section);
        var tls = UnimoGOptions.Read<TlsOptions>(builder.Configuration, TlsOptions.Section);
        var endpoint = StudioEndpoint.Resolve(studio, hosting, tls);
        builder.Services.AddSingleton(endpoint);
        builder.Services.AddSingleton(_ => StudioFiles.Embedded());
        var certificates = tls.Enabled ? new TlsCertificates(tls) : null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            void Configure(ListenOptions o)
            {
                o.Protocols = HttpProtocols.Http1;
                if (certificates is not null) o.UseHttps(certificates.ServerOptions(tls.RequireClientCertificate));
                o.Use(next => connection =>
                {
                    connection.Features.Set(StudioConnection.Instance);
                    return next(connection);
                });
                endpoint.Bound(o);
            }
            if (endpoint.Address is null) k.ListenAnyIP(endpoint.Port, Configure);
            else k.Listen(endpoint.Address, endpoint.Port, Configure);
        });
        return builder;
    }

    /// <summary>
    /// gRPC-Web for <paramref name="service"/> and the page, on the studio's connections only (there everything else is
    /// 404); nothing when <see cref="AddUnimoGStudio"/> did not enable the studio.
    /// </summary>
    public static WebApplication MapUnimoGStudio(this WebApplication app, GrpcServiceEndpointConventionBuilder service)
    {
        if (app.Services.GetService<StudioEndpoint>() is null) return app;
        service.EnableGrpcWeb();
        var files = app.Services.GetRequiredService<StudioFiles>();
        app.UseWhen(IsStudio, studio =>
        {
            studio.UseWhen(c => !IsGrpcWeb(c), page =>
            {
                page.Use((context, next) =>
                {
                    context.SetEndpoint(null);   // no other endpoint of the host answers here
                    return next(context);
                });
                page.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files.Files, DefaultFileNames = ["index.html"] });
                page.UseStaticFiles(new StaticFileOptions
                {
                    FileProvider = files.Files,
                    ContentTypeProvider = files.ContentTypes,
                    // The page names its bundles; index.html is asked for again each time so a new build is seen at once.
                    OnPrepareResponse = c =>
                    {
                        if (c.File.Name == "index.html") c.Context.Response.Headers.CacheControl = "no-cache";
                    },
                });
                page.Run(context =>
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                });
            });
            studio.UseGrpcWeb(new GrpcWebOptions { DefaultEnabled = false });
        });
        return app;
    }

    /// <summary>Logs <see cref="StudioEndpoint.Announcement"/> once the host listens (a host without a console line of its own).</summary>
    public static WebApplication LogUnimoGStudio(this WebApplication app)
    {
        if (app.Services.GetService<StudioEndpoint>() is not { } endpoint) return app;
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("UnimoG.Studio");
        app.Lifetime.ApplicationStarted.Register(() => log.LogInformation("{Announcement}", endpoint.Announcement));
        return app;
    }

    private static bool IsStudio(HttpContext context) => context.Features.Get<StudioConnection>() is not null;

    /// <summary>A gRPC-Web call (application/grpc-web, -text, with +proto) to a method that has gRPC-Web enabled.</summary>
    private static bool IsGrpcWeb(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase) == true
        && context.GetEndpoint()?.Metadata.GetMetadata<IGrpcWebEnabledMetadata>()?.GrpcWebEnabled == true;
}
