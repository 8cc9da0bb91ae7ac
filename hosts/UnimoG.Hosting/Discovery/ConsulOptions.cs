using UnimoG.Hosting.Options;
using UnimoG.Data.Config;

namespace UnimoG.Hosting.Discovery;

/// <summary>Section <c>Consul</c>: discovery through a Consul agent, on when <see cref="Address"/> is set.</summary>
public sealed class ConsulOptions : IValidatedOptions
{
    public const string Section = "Consul";

    /// <summary>The agent's HTTP API, e.g. <c>http://consul:8500</c>.</summary>
    public string? Address { get; set; }

    /// <summary>ACL token, sent as <c>X-Consul-Token</c>.</summary>
    public string? Token { get; set; }

    /// <summary>Register this service on start and deregister on stop.</summary>
    public bool Register { get; set; } = true;

    /// <summary>Address other services and Consul's health check use to reach us; default: our first IPv4 address.</summary>
    public string? ServiceAddress { get; set; }

    /// <summary>Default: <c>{service}-{hostname}-{port}</c>.</summary>
    public string? ServiceId { get; set; }

    public List<string> Tags { get; set; } = [];

    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consul removes an instance whose check stayed critical this long (a crashed replica).</summary>
    public TimeSpan DeregisterCriticalServiceAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long one blocking query may wait for a change (Consul caps it at 10 minutes).</summary>
    public TimeSpan WaitTime { get; set; } = TimeSpan.FromMinutes(5);

    public bool Enabled => !string.IsNullOrWhiteSpace(Address);

    public IEnumerable<string> Validate(string section)
    {
        foreach (var e in Check.AbsoluteUri($"{section}:Address", Address, "http", "https")) yield return e;
        foreach (var e in Check.Positive($"{section}:CheckInterval", CheckInterval)) yield return e;
        foreach (var e in Check.Positive($"{section}:CheckTimeout", CheckTimeout)) yield return e;
        foreach (var e in Check.Positive($"{section}:DeregisterCriticalServiceAfter", DeregisterCriticalServiceAfter)) yield return e;
        if (WaitTime <= TimeSpan.Zero || WaitTime > TimeSpan.FromMinutes(10))
            yield return $"{section}:WaitTime must be between 1 second and 10 minutes, got {WaitTime}.";
        if (DeregisterCriticalServiceAfter < TimeSpan.FromMinutes(1) && Enabled)
            yield return $"{section}:DeregisterCriticalServiceAfter must be at least 00:01:00 (Consul's minimum), got {DeregisterCriticalServiceAfter}.";
    }
}

/// <summary>Section <c>Services</c>: where this service finds the others (<c>Services:Encoder:Address</c>).</summary>
public sealed class ServiceAddressOptions
{
    public const string Section = "Services";

    /// <summary>
    /// <c>http://host:port</c> / <c>https://host:port</c> (one address), <c>static:///h1:p1,h2:p2</c> (a fixed list),
    /// <c>dns:///headless-service:port</c> (every A record, re-resolved), or <c>consul:///name</c>.
    /// </summary>
    public string? Address { get; set; }

    /// <summary>The API key this host sends to the service (as <c>x-api-key</c>) when the service's <c>Auth</c> is on.</summary>
    public string? ApiKey { get; set; }
}
