using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace UnimoG.Hosting.Discovery;

/// <summary>
/// The few endpoints of Consul's HTTP API we need (the Consul NuGet package is not used): agent service
/// registration with a gRPC health check, deregistration, and healthy-instance blocking queries.
/// </summary>
public sealed class ConsulClient : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private readonly HttpClient http;

    public ConsulClient(ConsulOptions options, HttpMessageHandler? handler = null)
    {
        if (!options.Enabled) throw new InvalidOperationException("Consul:Address is not set.");
        // Blocking queries wait minutes: each request carries its own timeout instead of HttpClient's.
        http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = new Uri(options.Address!.TrimEnd('/') + "/"),
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(options.Token)) http.DefaultRequestHeaders.Add("X-Consul-Token", options.Token);
    }

    /// <summary>Limit for the agent calls that do not block (register, deregister).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>PUT /v1/agent/service/register.</summary>
    public async Task RegisterAsync(ConsulRegistration registration, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await http.PutAsJsonAsync("v1/agent/service/register", registration, Json, timeout.Token);
        await EnsureSuccess(response, $"registering service '{registration.Id}'", timeout.Token);
    }

    /// <summary>PUT /v1/agent/service/deregister/{id}.</summary>
    public async Task DeregisterAsync(string serviceId, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        using var response = await http.PutAsync($"v1/agent/service/deregister/{Uri.EscapeDataString(serviceId)}", null, timeout.Token);
        await EnsureSuccess(response, $"deregistering service '{serviceId}'", timeout.Token);
    }

    /// <summary>
    /// GET /v1/health/service/{name}?passing=true. With <paramref name="index"/> &gt; 0 this is a blocking query:
    /// Consul answers when the result changes past that index or after <paramref name="wait"/>.
    /// </summary>
    public async Task<ConsulQueryResult> HealthyInstancesAsync(string service, ulong index, TimeSpan wait, CancellationToken cancellationToken)
    {
        var url = $"v1/health/service/{Uri.EscapeDataString(service)}?passing=true";
        if (index > 0)
            url += $"&index={index}&wait={(int)Math.Ceiling(wait.TotalSeconds)}s";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Consul adds up to wait/16 of jitter to a blocking query; allow that and some slack.
        timeout.CancelAfter(wait + wait / 16 + TimeSpan.FromSeconds(15));
        using var response = await http.GetAsync(url, timeout.Token);
        await EnsureSuccess(response, $"querying healthy instances of '{service}'", cancellationToken);
        var entries = await response.Content.ReadFromJsonAsync<List<ConsulHealthEntry>>(Json, timeout.Token) ?? [];
        var newIndex = response.Headers.TryGetValues("X-Consul-Index", out var values)
                       && ulong.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0;
        var instances = entries
            .Select(e => new ConsulInstance(e.Service.Id,
                string.IsNullOrEmpty(e.Service.Address) ? e.Node.Address : e.Service.Address, e.Service.Port))
            .ToList();
        return new ConsulQueryResult(instances, newIndex);
    }

    private static async Task EnsureSuccess(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new HttpRequestException(
            $"Consul answered {(int)response.StatusCode} {response.ReasonPhrase} when {what}: {body.Trim()}", null, response.StatusCode);
    }

    public void Dispose() => http.Dispose();
}

public sealed record ConsulInstance(string Id, string Address, int Port);

public sealed record ConsulQueryResult(IReadOnlyList<ConsulInstance> Instances, ulong Index);

/// <summary>The body of PUT /v1/agent/service/register (Consul's field names).</summary>
public sealed record ConsulRegistration(
    [property: JsonPropertyName("ID")] string Id,
    string Name,
    string Address,
    int Port,
    IReadOnlyList<string> Tags,
    ConsulCheck Check);

/// <summary>A gRPC health check: Consul calls grpc.health.v1.Health/Check on <see cref="Grpc"/>.</summary>
public sealed record ConsulCheck(
    [property: JsonPropertyName("GRPC")] string Grpc,
    [property: JsonPropertyName("GRPCUseTLS")] bool GrpcUseTls,
    string Interval,
    string Timeout,
    string DeregisterCriticalServiceAfter,
    [property: JsonPropertyName("TLSSkipVerify")] bool? TlsSkipVerify = null)
{
    /// <summary>A Go duration ("10s", "1500ms") as Consul parses them.</summary>
    public static string Duration(TimeSpan t) =>
        t.Milliseconds == 0 ? $"{(long)t.TotalSeconds}s" : $"{(long)t.TotalMilliseconds}ms";
}

internal sealed record ConsulHealthEntry(ConsulNode Node, ConsulService Service);

internal sealed record ConsulNode(string Address);

internal sealed record ConsulService([property: JsonPropertyName("ID")] string Id, string Address, int Port);
