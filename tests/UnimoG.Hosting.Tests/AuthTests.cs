using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Google.Rpc;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using UnimoG.Hosting.Security;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

public sealed class AuthTests : IAsyncLifetime
{
    private static readonly byte[] HmacKey = RandomNumberGenerator.GetBytes(32);
    private static readonly RSA Rsa = RSA.Create(2048);
    private TestService service = null!;

    private Relay.RelayClient Client => service.Client();

    private int Invoked => service.Get<Invocations>().Count;

    public async Task InitializeAsync()
    {
        service = await TestService.StartAsync("gateway", new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:alice:Sha256"] = Sha256Hex("alice-secret"),
            ["Auth:ApiKeys:alice:Limits:Burst"] = "2",
            ["Auth:ApiKeys:alice:Limits:RequestsPerMinute"] = "1",
            ["Auth:ApiKeys:carol:Sha256"] = Sha256Hex("carol-secret").ToUpperInvariant(),
            ["Auth:ApiKeys:carol:Limits:MaxConcurrentCalls"] = "1",
            ["Auth:ApiKeys:carol:Limits:ConcurrencyRetryAfter"] = "00:00:02",
            ["Auth:Jwt:Issuer"] = "https://issuer.test",
            ["Auth:Jwt:Audience"] = "unimog",
            ["Auth:Jwt:SigningKeys:0"] = Convert.ToBase64String(HmacKey),
            ["Auth:Jwt:RsaPublicKeys:0"] = Rsa.ExportSubjectPublicKeyInfoPem(),
            ["Auth:Limits:Burst"] = "100",
            ["Auth:Limits:RequestsPerMinute"] = "6000",
        }, b => b.AddUnimoGAuth());
    }

    public async Task DisposeAsync() => await service.DisposeAsync();

    [Fact]
    public async Task No_credentials_is_unauthenticated_and_does_no_work()
    {
        var e = await Refused(new Metadata());
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("x-api-key", e.Status.Detail);
    }

    [Fact]
    public async Task A_wrong_API_key_is_unauthenticated()
    {
        var e = await Refused(new Metadata { { "x-api-key", "alice-secreT" } });
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Equal("The API key is not recognised.", e.Status.Detail);
    }

    [Fact]
    public async Task A_good_API_key_works_in_either_header_and_health_needs_none()
    {
        await Client.HopAsync(new HopRequest(), new Metadata { { "x-api-key", "carol-secret" } });
        await Client.HopAsync(new HopRequest(), new Metadata { { "authorization", "ApiKey carol-secret" } });
        Assert.Equal(2, Invoked);
        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await service.HealthAsync());
    }

    [Fact]
    public async Task JWT_tokens_signed_with_a_configured_key_work_and_others_are_refused()
    {
        var hmac = new SigningCredentials(new SymmetricSecurityKey(HmacKey), SecurityAlgorithms.HmacSha256);
        var rsa = new SigningCredentials(new RsaSecurityKey(Rsa), SecurityAlgorithms.RsaSha256);
        await Client.HopAsync(new HopRequest(), Bearer(Token(hmac)));
        await Client.HopAsync(new HopRequest(), Bearer(Token(rsa)));
        Assert.Equal(2, Invoked);

        var otherKey = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256);
        Assert.Contains("signature", (await Refused(Bearer(Token(otherKey)))).Status.Detail);
        Assert.Equal("The bearer token has expired.",
            (await Refused(Bearer(Token(hmac, expires: DateTime.UtcNow.AddMinutes(-5))))).Status.Detail);
        Assert.Contains("audience", (await Refused(Bearer(Token(hmac, audience: "someone-else")))).Status.Detail);
        Assert.Equal(StatusCode.Unauthenticated, (await Refused(Bearer("not.a.jwt"))).StatusCode);
    }

    [Fact]
    public async Task Rate_limit_answers_resource_exhausted_with_a_retry_hint()
    {
        var alice = new Metadata { { "x-api-key", "alice-secret" } };
        await Client.HopAsync(new HopRequest(), alice); // burst of 2
        await Client.HopAsync(new HopRequest(), alice);
        var e = await Refused(alice);
        Assert.Equal(2, Invoked);

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("key:alice", e.Status.Detail);
        var retryMs = double.Parse(e.Trailers.GetValue(CallRateLimiter.RetryAfterTrailer)!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryMs, 1, 60_000); // one token a minute
        var retryInfo = e.GetRpcStatus()!.GetDetail<RetryInfo>();
        Assert.NotNull(retryInfo);
        Assert.Equal(retryMs, Math.Ceiling(retryInfo.RetryDelay.ToTimeSpan().TotalMilliseconds));

        // Another caller has its own bucket.
        await Client.HopAsync(new HopRequest(), new Metadata { { "x-api-key", "carol-secret" } });
    }

    [Fact]
    public async Task Concurrency_limit_refuses_a_second_concurrent_call()
    {
        var carol = new Metadata { { "x-api-key", "carol-secret" } };
        var first = Client.WaitAsync(new WaitRequest { Gate = "carol" }, carol).ResponseAsync;
        await service.Get<Gates>().Entered("carol");
        var e = await Refused(carol);
        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Equal("2000", e.Trailers.GetValue(CallRateLimiter.RetryAfterTrailer));
        service.Get<Gates>().Release("carol");
        await first;
        await Client.HopAsync(new HopRequest(), carol); // the slot is free again
    }

    /// <summary>A Hop call that must fail, and must not have reached the service method.</summary>
    private async Task<RpcException> Refused(Metadata headers)
    {
        var before = Invoked;
        var e = await Assert.ThrowsAsync<RpcException>(() => Client.HopAsync(new HopRequest(), headers).ResponseAsync);
        Assert.Equal(before, Invoked);
        return e;
    }

    private static Metadata Bearer(string token) => new() { { "authorization", $"Bearer {token}" } };

    private static string Token(SigningCredentials credentials, DateTime? expires = null, string audience = "unimog") =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://issuer.test",
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", "user-42")]),
            NotBefore = (expires ?? DateTime.UtcNow.AddMinutes(5)).AddMinutes(-10),
            IssuedAt = (expires ?? DateTime.UtcNow.AddMinutes(5)).AddMinutes(-10),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(5),
            SigningCredentials = credentials,
        });

    private static string Sha256Hex(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
