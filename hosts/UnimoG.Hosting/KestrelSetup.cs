using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Security;

namespace UnimoG.Hosting;

/// <summary>Two endpoints: gRPC (HTTP/2 only; TLS and client certificates when configured) and metrics (HTTP/1).</summary>
internal static class KestrelSetup
{
    public static void ConfigureUnimoGKestrel(this WebApplicationBuilder builder, HostingOptions hosting, TlsOptions tls)
    {
        var certificates = tls.Enabled ? new TlsCertificates(tls) : null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            // gRPC's MaxReceiveMessageSize is the per-message limit; Kestrel's 30 MB body cap would otherwise
            // fail large unary calls with a confusing Unknown. Streams enforce their own totals.
            k.Limits.MaxRequestBodySize = null;
            Listen(k, hosting.ListenAddress, hosting.GrpcPort, o =>
            {
                // Plaintext HTTP/1+2 cannot negotiate HTTP/2, and gRPC then fails with HTTP_1_1_REQUIRED.
                o.Protocols = HttpProtocols.Http2;
                if (certificates is not null) o.UseHttps(certificates.ServerOptions(tls.RequireClientCertificate));
            });
            Listen(k, hosting.ListenAddress, hosting.MetricsPort, o => o.Protocols = HttpProtocols.Http1);
        });
    }

    private static void Listen(KestrelServerOptions k, string address, int port, Action<ListenOptions> configure)
    {
        if (address == "*") k.ListenAnyIP(port, configure);
        else k.Listen(IPAddress.Parse(address), port, configure);
    }
}
