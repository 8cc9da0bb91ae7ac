using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Security;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

/// <summary>
/// API keys configured, no JWT keys (issue 16, items 4 and 14): a bearer or unknown scheme is Unauthenticated naming the
/// scheme (it was HTTP 500 before authentication), and wrong keys are throttled per peer address.
/// </summary>
public sealed class AuthAbuseTests : IAsyncLifetime
{
    private TestService service = null!;
    private Relay.RelayClient Client => service.Client();

    public async Task InitializeAsync() => service = await TestService.StartAsync("gateway", new Dictionary<string, string?>
    {
        ["Auth:ApiKeys:alice:Sha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("alice-secret"))),
        ["Auth:MaxFailuresPerMinute"] = "3",
    }, b => b.AddUnimoGAuth());

    public async Task DisposeAsync() => await service.DisposeAsync();

    private async Task<RpcException> Refused(Metadata headers)
    {
        var before = service.Get<Invocations>().Count;
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.HopAsync(new HopRequest(), headers).ResponseAsync);
        Assert.Equal(before, service.Get<Invocations>().Count);
        return e;
    }

    [Fact]
    public async Task A_bearer_token_without_JWT_keys_is_unauthenticated_naming_the_scheme()
    {
        var e = await Refused(new Metadata { { "authorization", "Bearer x" } });
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal("The authorization scheme 'Bearer' is not accepted here (bearer tokens need Auth:Jwt keys, which this service has not): send 'authorization: ApiKey KEY' or 'x-api-key: KEY'.", e.Status.Detail);
        var basic = await Refused(new Metadata { { "authorization", "Basic YWxpY2U6eA==" } });
        Assert.Equal(StatusCode.Unauthenticated, basic.StatusCode);
        Assert.StartsWith("The authorization scheme 'Basic' is not accepted here:", basic.Status.Detail);
        var junk = await Refused(new Metadata { { "authorization", "%" + new string('a', 5000) } });
        Assert.Contains("'(unreadable)'", junk.Status.Detail);
    }

    [Fact]
    public async Task Wrong_keys_beyond_the_limit_are_refused_with_a_retry_hint_even_with_a_good_key()
    {
        for (var i = 0; i < 3; i++)
            Assert.Equal(StatusCode.Unauthenticated, (await Refused(new Metadata { { "x-api-key", $"guess-{i}" } })).StatusCode);
        var e = await Refused(new Metadata { { "x-api-key", "alice-secret" } });
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.StartsWith("Too many failed authentications from this address (3 in a minute", e.Status.Detail);
        var retryMs = double.Parse(e.Trailers.GetValue(CallRateLimiter.RetryAfterTrailer)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryMs, 1, 60_000);
    }

    [Fact]
    public async Task Calls_without_credentials_are_not_counted_as_guesses()
    {
        for (var i = 0; i < 5; i++)
            Assert.Equal(StatusCode.Unauthenticated, (await Refused(new Metadata())).StatusCode);
        await Client.HopAsync(new HopRequest(), new Metadata { { "x-api-key", "alice-secret" } });
    }

    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void The_throttle_opens_again_after_its_minute_and_counts_addresses_apart()
    {
        var clock = new ManualClock();
        var throttle = new FailedAuthThrottle(Microsoft.Extensions.Options.Options.Create(new AuthOptions { MaxFailuresPerMinute = 2 }), clock);
        throttle.Record("10.0.0.1");
        throttle.ThrowIfBlocked("10.0.0.1");
        throttle.Record("10.0.0.1");
        var e = Assert.Throws<RpcException>(() => throttle.ThrowIfBlocked("10.0.0.1"));
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("60000", e.Trailers.GetValue(CallRateLimiter.RetryAfterTrailer));
        throttle.ThrowIfBlocked("10.0.0.2");
        clock.Now += TimeSpan.FromSeconds(61);
        throttle.ThrowIfBlocked("10.0.0.1");
    }
}
