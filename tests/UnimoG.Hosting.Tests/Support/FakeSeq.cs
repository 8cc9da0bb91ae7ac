using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace UnimoG.Hosting.Tests.Support;

/// <summary>
/// A Seq-compatible ingestion endpoint on loopback: accepts newline-delimited CLEF on
/// <c>/api/events/raw</c> (with <c>?clef</c> or the CLEF content type) and <c>/ingest/clef</c>, records events and keys.
/// </summary>
internal sealed class FakeSeq : IAsyncDisposable
{
    private readonly WebApplication app;

    private FakeSeq(WebApplication app, int port)
    {
        this.app = app;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Url { get; }

    public ConcurrentQueue<JsonElement> Events { get; } = new();

    public ConcurrentQueue<string?> ApiKeys { get; } = new();

    public ConcurrentQueue<string?> ContentTypes { get; } = new();

    public static async Task<FakeSeq> StartAsync()
    {
        var port = TestService.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var seq = new FakeSeq(app, port);
        app.MapPost("/api/events/raw", (Delegate)seq.Ingest);
        app.MapPost("/ingest/clef", (Delegate)seq.Ingest);
        await app.StartAsync();
        return seq;
    }

    private async Task<IResult> Ingest(HttpContext context)
    {
        var isClef = context.Request.Query.ContainsKey("clef")
                     || context.Request.ContentType?.StartsWith("application/vnd.serilog.clef", StringComparison.Ordinal) == true
                     || context.Request.Path == "/ingest/clef";
        if (!isClef) return Results.BadRequest("only CLEF is accepted by this test double");
        ApiKeys.Enqueue(context.Request.Headers["X-Seq-ApiKey"].FirstOrDefault());
        ContentTypes.Enqueue(context.Request.ContentType);
        using var reader = new StreamReader(context.Request.Body);
        while (await reader.ReadLineAsync() is { } line)
            if (line.Length > 0)
                Events.Enqueue(JsonDocument.Parse(line).RootElement.Clone());
        return Results.Created();
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();
}
