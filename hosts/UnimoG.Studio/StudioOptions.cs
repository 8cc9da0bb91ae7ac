using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using UnimoG.Data.Config;

namespace UnimoG.Studio;

/// <summary>
/// Section <c>Studio</c> (the gateway, and <c>unimog serve --role gateway|all</c>): the browser studio on an HTTP/1.1
/// endpoint of its own, since Kestrel cannot serve HTTP/1.1 and cleartext HTTP/2 on one port and the gRPC port stays
/// HTTP/2-only for the typed clients.
/// </summary>
public sealed partial class StudioOptions : IValidatedOptions
{
    public const string Section = "Studio";

    public bool Enabled { get; set; } = true;

    /// <summary>
    /// <c>http://IP:PORT</c> (<c>https://</c> when <c>Tls:Enabled</c>; <c>localhost</c> is 127.0.0.1, <c>0.0.0.0</c> or <c>*</c>
    /// every interface; port 0: any free one). Empty: <c>Hosting:ListenAddress</c> on port <c>Hosting:GrpcPort</c> + 1.
    /// </summary>
    public string? Url { get; set; }

    public IEnumerable<string> Validate(string section)
    {
        if (!Enabled || string.IsNullOrWhiteSpace(Url)) yield break;
        if (Parse(Url) is null)
            yield return $"{section}:Url must be http://IP:PORT or https://IP:PORT (e.g. http://127.0.0.1:5001; * or 0.0.0.0 for every interface; port 0 for any free one), got '{Url}'.";
    }

    /// <summary>The scheme, the address (null: every interface) and the port of <paramref name="url"/>; null when it is not one.</summary>
    internal static (string Scheme, IPAddress? Address, int Port)? Parse(string url)
    {
        var m = UrlPattern().Match(url.Trim());
        if (!m.Success || !int.TryParse(m.Groups["port"].Value, CultureInfo.InvariantCulture, out var port) || port > 65535) return null;
        var host = m.Groups["host"].Value.Trim('[', ']');
        IPAddress? address = host == "localhost" ? IPAddress.Loopback
            : host is "*" or "+" ? IPAddress.Any
            : IPAddress.TryParse(host, out var ip) ? ip : null;
        if (address is null) return null;
        return (m.Groups["scheme"].Value, address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) ? null : address, port);
    }

    [GeneratedRegex(@"^(?<scheme>https?)://(?<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]]+):(?<port>[0-9]{1,5})/?$")]
    private static partial Regex UrlPattern();
}
