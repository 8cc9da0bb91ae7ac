using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace UnimoG.Hosting.Tests.Support;

/// <summary>
/// A test double of the parts of Consul's HTTP API we use: agent register/deregister, and
/// <c>/v1/health/service/{name}?passing</c> with blocking queries (<c>index</c>, <c>wait</c>, <c>X-Consul-Index</c>).
/// Health checks run when the test calls <see cref="RunChecksAsync"/>: like Consul, it calls
/// grpc.health.v1.Health/Check at each registration's <c>GRPC</c> address.
/// </summary>
internal sealed class FakeConsul : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly object gate = new();
    private readonly Dictionary<string, (JsonObject Registration, string Status)> services = new();
    private ulong index = 1;
    private TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int blockedQueries;

    private FakeConsul(WebApplication app, int port)
    {
        this.app = app;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Url { get; }

    /// <summary>Every request: method, path and query, and its X-Consul-Token.</summary>
    public ConcurrentQueue<(string Method, string Path, string? Token)> Requests { get; } = new();

    /// <summary>Blocking queries that found nothing new and started waiting.</summary>
    public int BlockedQueries => Volatile.Read(ref blockedQueries);

    public static async Task<FakeConsul> StartAsync()
    {
        var port = TestService.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var consul = new FakeConsul(app, port);
        app.Use(async (context, next) =>
        {
            consul.Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers["X-Consul-Token"].FirstOrDefault()));
            await next();
        });
        app.MapPut("/v1/agent/service/register", (Delegate)consul.Register);
        app.MapPut("/v1/agent/service/deregister/{id}", consul.Deregister);
        app.MapGet("/v1/health/service/{name}", consul.Health);
        await app.StartAsync();
        return consul;
    }

    public List<JsonObject> Registrations(string name)
    {
        lock (gate)
            return services.Values.Where(s => (string?)s.Registration["Name"] == name).Select(s => s.Registration).ToList();
    }

    private async Task<IResult> Register(HttpContext context)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        lock (gate)
        {
            // As in Consul, a new instance's check is critical until it first passes.
            services[(string)body["ID"]!] = (body, "critical");
            Bump();
        }
        return Results.Ok();
    }

    private IResult Deregister(string id)
    {
        lock (gate)
        {
            if (!services.Remove(id)) return Results.NotFound($"Unknown service ID \"{id}\"");
            Bump();
        }
        return Results.Ok();
    }

    private async Task Health(HttpContext context, string name)
    {
        ulong.TryParse(context.Request.Query["index"], out var after);
        var wait = context.Request.Query["wait"].FirstOrDefault() is { } w && w.EndsWith('s')
            ? TimeSpan.FromSeconds(int.Parse(w[..^1])) : TimeSpan.FromMinutes(5);
        var deadline = DateTime.UtcNow + wait;
        var passing = context.Request.Query.ContainsKey("passing");
        string json;
        ulong current;
        while (true)
        {
            Task next;
            lock (gate)
            {
                if (after == 0 || index > after || DateTime.UtcNow >= deadline)
                {
                    current = index;
                    json = JsonSerializer.Serialize(services.Values
                        .Where(s => (string?)s.Registration["Name"] == name && (!passing || s.Status == "passing"))
                        .Select(s => new
                        {
                            Node = new { Node = "node-1", Address = "127.0.0.9" },
                            Service = new
                            {
                                ID = (string?)s.Registration["ID"], Service = name,
                                Address = (string?)s.Registration["Address"], Port = (int)s.Registration["Port"]!,
                            },
                            Checks = new[] { new { s.Status } },
                        }));
                    break;
                }
                next = changed.Task;
            }
            Interlocked.Increment(ref blockedQueries);
            await Task.WhenAny(next, Task.Delay(deadline - DateTime.UtcNow, context.RequestAborted));
            if (context.RequestAborted.IsCancellationRequested) return;
        }
        context.Response.Headers["X-Consul-Index"] = current.ToString();
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    /// <summary>One round of gRPC health checks, as Consul runs every Interval.</summary>
    public async Task RunChecksAsync()
    {
        List<(string Id, string Target)> targets;
        lock (gate)
            targets = services.Select(s => (s.Key, (string)s.Value.Registration["Check"]!["GRPC"]!)).ToList();
        foreach (var (id, target) in targets)
        {
            string status;
            try
            {
                using var channel = GrpcChannel.ForAddress($"http://{target}");
                var reply = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                status = reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? "passing" : "critical";
            }
            catch (Grpc.Core.RpcException)
            {
                status = "critical";
            }
            lock (gate)
            {
                if (services.TryGetValue(id, out var s) && s.Status != status)
                {
                    services[id] = (s.Registration, status);
                    Bump();
                }
            }
        }
    }

    private void Bump()
    {
        index++;
        var old = changed;
        changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
