using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Options;

namespace UnimoG.Studio;

/// <summary>
/// Where the studio listens, resolved from <see cref="StudioOptions"/> and the host's <c>Hosting</c> and <c>Tls</c>
/// sections, and (once Kestrel has bound it) its URL. Connections accepted there carry <see cref="StudioConnection"/>.
/// </summary>
public sealed class StudioEndpoint
{
    private ListenOptions? _listen;

    private StudioEndpoint(string scheme, IPAddress? address, int port) => (Scheme, Address, Port) = (scheme, address, port);

    public string Scheme { get; }

    /// <summary>Null: every interface.</summary>
    public IPAddress? Address { get; }

    /// <summary>The configured port (0: any free one; <see cref="Url"/> has the bound one).</summary>
    public int Port { get; }

    /// <summary>The page's address once the host listens (a wildcard address is shown as localhost).</summary>
    public string Url
    {
        get
        {
            var port = _listen?.IPEndPoint?.Port ?? Port;
            var host = Address is null ? "localhost" : Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString();
            return $"{Scheme}://{host}:{port}/";
        }
    }

    /// <summary>The line hosts print (or log) once they listen.</summary>
    public string Announcement => $"studio: {Url} (browser UI; gRPC-Web on the same port)";

    internal void Bound(ListenOptions listen) => _listen = listen;

    /// <summary>
    /// The endpoint for <paramref name="studio"/>; every conflict with the host's other endpoints is one sentence naming
    /// the keys (thrown as <see cref="OptionsValidationException"/>, as a bad option is at start-up).
    /// </summary>
    public static StudioEndpoint Resolve(StudioOptions studio, HostingOptions hosting, TlsOptions tls, string section = StudioOptions.Section)
    {
        var errors = new List<string>();
        var scheme = tls.Enabled ? "https" : "http";
        StudioEndpoint endpoint;
        if (!string.IsNullOrWhiteSpace(studio.Url))
        {
            var (given, address, port) = StudioOptions.Parse(studio.Url) ?? throw Invalid(section, [.. studio.Validate(section)]);
            if (given != scheme)
                errors.Add($"{section}:Url is {given}://, but Tls:Enabled is {tls.Enabled.ToString().ToLowerInvariant()}: the studio serves {scheme}:// like the gRPC port; use {scheme}://.");
            endpoint = new StudioEndpoint(scheme, address, port);
        }
        else
        {
            var port = hosting.GrpcPort + 1;
            if (port > 65535)
                errors.Add($"{section}:Url is not set and Hosting:GrpcPort + 1 ({port}) is no TCP port: set {section}:Url (e.g. http://127.0.0.1:5001).");
            endpoint = new StudioEndpoint(scheme, hosting.ListenAddress == "*" ? null : IPAddress.Parse(hosting.ListenAddress), port);
        }
        var source = string.IsNullOrWhiteSpace(studio.Url) ? $"{section}:Url is not set, so the studio takes Hosting:GrpcPort + 1 = {endpoint.Port}" : $"{section}:Url's port {endpoint.Port}";
        if (endpoint.Port == hosting.GrpcPort)
            errors.Add($"{source}, which is Hosting:GrpcPort: the studio needs a port of its own (HTTP/1.1; gRPC is HTTP/2-only).");
        if (endpoint.Port == hosting.MetricsPort)
            errors.Add($"{source}, which is Hosting:MetricsPort: set {section}:Url to another port (or {section}:Enabled=false).");
        if (errors.Count > 0) throw Invalid(section, errors);
        return endpoint;
    }

    private static OptionsValidationException Invalid(string section, IEnumerable<string> errors) => new(section, typeof(StudioOptions), errors);
}

/// <summary>Set on every connection the studio's endpoint accepts: only there are the page and gRPC-Web served.</summary>
public sealed class StudioConnection
{
    internal static readonly StudioConnection Instance = new();

    private StudioConnection() { }
}
