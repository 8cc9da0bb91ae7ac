using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Cli;
using UnimoG.Client;
using UnimoG.Services.Tests.Support;
using Xunit.Abstractions;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>
/// The typed client's retries over loopback: Unavailable before the first event goes to the next replica with backoff,
/// within the deadline and cancellation; a replica that dies mid-stream is not retried (the work would run twice).
/// </summary>
[Collection("cluster")]
public sealed class ClientRetryTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private Cluster Cluster => fixture.Cluster;

    /// <summary>A loopback address nothing listens on: connecting is refused at once (Unavailable).</summary>
    private static string Dead() => $"http://127.0.0.1:{Cluster.FreePort()}";

    private UnimoGClient Client(RetryOptions retry, params string[] addresses) =>
        new([.. addresses.Select(a => new V1.Gateway.GatewayClient(Cluster.Channel(a)))], retry);

    [Fact]
    public async Task A_dead_first_replica_is_retried_on_the_second_which_then_serves_first()
    {
        var retries = new ConcurrentQueue<RetryAttempt>();
        using var provider = new ServiceCollection().AddUnimoGClient(o =>
        {
            o.Address = new Uri(Dead());
            o.GatewayReplicas.Add(new Uri(Cluster.GatewayAddress));
            o.Retry = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), OnRetry = retries.Enqueue };
        }).BuildServiceProvider();
        var client = provider.GetRequiredService<UnimoGClient>();

        var result = await client.GenerateImagesAsync(GenerationTests.Request(steps: 2), deadline: DateTime.UtcNow.AddSeconds(60));
        Assert.Single(result.Images);
        var retry = Assert.Single(retries);
        Assert.Equal((1, 0, 1, StatusCode.Unavailable), (retry.Attempt, retry.Replica, retry.NextReplica, retry.Status));
        Assert.InRange(retry.Delay, TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(50));
        output.WriteLine($"retried: {retry}");

        // The replica that answered is tried first from now on.
        await client.GenerateImagesAsync(GenerationTests.Request(steps: 2));
        Assert.Single(retries);
    }

    [Fact]
    public async Task A_replica_killed_after_Accepted_is_not_retried_and_the_error_says_so()
    {
        var url = $"http://127.0.0.1:{Cluster.FreePort()}";
        var settings = new Dictionary<string, string?>
        {
            ["Model:TokenizerPath"] = TestModel.Tokenizer, ["Log:MinimumLevel"] = "Warning",
            ["Shutdown:Timeout"] = "00:00:01", ["Shutdown:CancelGrace"] = "00:00:00.100", ["Studio:Url"] = "http://127.0.0.1:0",
        };
        await using var doomed = ServeCommand.Build("gateway", url, Cluster.FreePort(), TestModel.Folder, Cluster.EncoderAddress,
            Cluster.DenoiserAddress, Cluster.VaeAddress, settings);
        await doomed.StartAsync();
        var ready = doomed.Services.GetRequiredService<UnimoG.Hosting.Readiness>();
        await GenerationTests.WaitUntil(() => ready.IsReady);

        var retries = new ConcurrentQueue<RetryAttempt>();
        var client = Client(new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(50), OnRetry = retries.Enqueue }, url, Cluster.GatewayAddress);
        var events = new List<GenerationEvent>();
        var e = await Assert.ThrowsAnyAsync<UnimoGException>(async () =>
        {
            await foreach (var ev in client.GenerateAsync(GenerationTests.Request(steps: 200), deadline: DateTime.UtcNow.AddSeconds(60)))
            {
                events.Add(ev);
                if (ev is GenerationEvent.Accepted) await doomed.StopAsync(new CancellationToken(canceled: true)); // killed, no drain
            }
        });
        output.WriteLine($"{e.Status}: {e.Detail}");
        Assert.IsType<GenerationEvent.Accepted>(events[0]);
        Assert.DoesNotContain(events, ev => ev is GenerationEvent.Completed);
        Assert.Empty(retries);
        Assert.Equal(StatusCode.Unavailable, e.Status);   // the connection reset by the kill
        Assert.Contains("failed after the generation had started, on attempt 1; not retried", e.Detail);
    }

    [Fact]
    public async Task All_replicas_dead_fails_after_the_attempts_with_each_counted()
    {
        var retries = new ConcurrentQueue<RetryAttempt>();
        var client = Client(new RetryOptions { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(50), OnRetry = retries.Enqueue }, Dead(), Dead(), Dead());
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<UnimoGException>(() => client.GenerateImagesAsync(GenerationTests.Request(steps: 2), deadline: DateTime.UtcNow.AddSeconds(20)));
        output.WriteLine($"{clock.ElapsedMilliseconds} ms: {e.Message}");
        Assert.Equal(StatusCode.Unavailable, e.Status);
        Assert.Contains("(after 4 attempts on 3 replicas)", e.Detail);
        Assert.Equal([0, 1, 2], retries.Select(r => r.Replica));
        Assert.Equal([1, 2, 0], retries.Select(r => r.NextReplica));
        // Waits of 25-50, 50-100, 100-200 ms: well inside the deadline.
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(175), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task All_replicas_dead_stops_before_the_deadline_when_the_next_wait_would_pass_it()
    {
        var retries = new ConcurrentQueue<RetryAttempt>();
        var client = Client(new RetryOptions { MaxAttempts = 50, BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1), OnRetry = retries.Enqueue },
            Dead(), Dead());
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<UnimoGException>(() => client.GenerateImagesAsync(GenerationTests.Request(steps: 2), deadline: DateTime.UtcNow.AddSeconds(2)));
        output.WriteLine($"{clock.ElapsedMilliseconds} ms after {retries.Count} retries: {e.Message}");
        Assert.Equal(StatusCode.DeadlineExceeded, e.Status);
        Assert.Contains($"no time for attempt {retries.Count + 2}", e.Detail);
        Assert.InRange(retries.Count, 2, 10);
    }

    [Fact]
    public async Task Cancelling_during_the_backoff_stops_at_once()
    {
        using var cts = new CancellationTokenSource();
        var client = Client(new RetryOptions { BaseDelay = TimeSpan.FromSeconds(20), MaxDelay = TimeSpan.FromSeconds(20), OnRetry = _ => cts.CancelAfter(100) }, Dead(), Dead());
        var clock = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<UnimoGException>(() => client.GenerateImagesAsync(GenerationTests.Request(steps: 2), cts.Token));
        output.WriteLine($"{clock.ElapsedMilliseconds} ms: {e.Message}");
        Assert.Equal(StatusCode.Cancelled, e.Status);
        Assert.StartsWith("cancelled while waiting to retry", e.Detail);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}: the 10-20 s wait was not cut short");
    }

    [Theory]
    [InlineData(0, 100, 2000, "MaxAttempts")]
    [InlineData(3, 0, 2000, "BaseDelay")]
    [InlineData(3, 500, 100, "MaxDelay")]
    public void Retry_options_are_validated_naming_the_setting(int attempts, int baseMs, int maxMs, string name)
    {
        var retry = new RetryOptions { MaxAttempts = attempts, BaseDelay = TimeSpan.FromMilliseconds(baseMs), MaxDelay = TimeSpan.FromMilliseconds(maxMs) };
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => new ServiceCollection().AddUnimoGClient(o =>
        {
            o.Address = new Uri("http://127.0.0.1:1");
            o.Retry = retry;
        })).ParamName);
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => Client(retry, "http://127.0.0.1:1")).ParamName);
    }
}
