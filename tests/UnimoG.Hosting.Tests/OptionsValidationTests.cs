using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using UnimoG.Hosting.Discovery;
using UnimoG.Hosting.Security;
using UnimoG.Hosting.Tests.Protos;

namespace UnimoG.Hosting.Tests;

/// <summary>Every bad setting fails at start-up with a sentence naming its configuration key.</summary>
public class OptionsValidationTests
{
    [Theory]
    [InlineData("Hosting:GrpcPort", "70000", "Hosting:GrpcPort must be a TCP port")]
    [InlineData("Hosting:MetricsPort", "5000", "Hosting:GrpcPort and Hosting:MetricsPort must differ")]
    [InlineData("Hosting:ListenAddress", "not-an-ip", "Hosting:ListenAddress must be an IP address")]
    [InlineData("Shutdown:Timeout", "-00:00:01", "Shutdown:Timeout must not be negative")]
    [InlineData("Seq:ServerUrl", "seq:5341", "Seq:ServerUrl must be an absolute http or https URL")]
    [InlineData("Otlp:SampleRatio", "2", "Otlp:SampleRatio must be between 0 and 1")]
    [InlineData("Consul:Address", "consul", "Consul:Address must be an absolute http or https URL")]
    [InlineData("Tls:Enabled", "true", "Tls:CertificatePath and Tls:KeyPath (PEM files) are required")]
    [InlineData("Log:ConsoleFormat", "xml", "Log:ConsoleFormat must be 'text' or 'json'")]
    [InlineData("Hosting:GrpcPort", "abc", "Hosting:GrpcPort")]
    public void Bad_hosting_settings_name_their_key(string key, string value, string message)
    {
        var e = Assert.Throws<OptionsValidationException>(() => Builder((key, value)).AddUnimoGDefaults("svc"));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Auth_without_keys_or_with_a_malformed_hash_is_refused()
    {
        var none = Assert.Throws<OptionsValidationException>(() => Builder().AddUnimoGDefaults("gateway").AddUnimoGAuth());
        Assert.Contains("Auth:ApiKeys:<name>:Sha256", none.Message);

        var bad = Assert.Throws<OptionsValidationException>(() =>
            Builder(("Auth:ApiKeys:alice:Sha256", "abc123")).AddUnimoGDefaults("gateway").AddUnimoGAuth());
        Assert.Contains("Auth:ApiKeys:alice:Sha256 must be the 64-hex-digit SHA-256 of the key", bad.Message);

        var jwt = Assert.Throws<OptionsValidationException>(() =>
            Builder(("Auth:Jwt:SigningKeys:0", Convert.ToBase64String(new byte[8]))).AddUnimoGDefaults("gateway").AddUnimoGAuth());
        Assert.Contains("Auth:Jwt:Issuer is required", jwt.Message);
        Assert.Contains("Auth:Jwt:SigningKeys:0 must be base64 of at least 32 bytes", jwt.Message);
    }

    [Fact]
    public void Auth_must_come_after_the_defaults()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Builder().AddUnimoGAuth());
        Assert.Contains("AddUnimoGDefaults before AddUnimoGAuth", e.Message);
    }

    [Fact]
    public void A_client_for_a_service_with_no_address_and_no_consul_names_the_key()
    {
        var e = Assert.Throws<OptionsValidationException>(() => Builder().AddUnimoGServiceClient<Relay.RelayClient>("encoder"));
        Assert.Contains("Services:encoder:Address is not set and neither is Consul:Address", e.Message);

        var scheme = Assert.Throws<OptionsValidationException>(() =>
            Builder(("Services:encoder:Address", "ftp://x:1")).AddUnimoGServiceClient<Relay.RelayClient>("encoder"));
        Assert.Contains("Services:encoder:Address must be http://host:port", scheme.Message);
    }

    [Fact]
    public async Task A_bad_value_from_a_configuration_source_added_later_fails_when_the_host_starts()
    {
        // ValidateOnStart: values are checked again when the host starts, so late sources are covered too.
        var builder = Builder(("Hosting:GrpcPort", Support.TestService.FreePort().ToString()),
            ("Hosting:MetricsPort", Support.TestService.FreePort().ToString()), ("Hosting:ListenAddress", "127.0.0.1"));
        builder.AddUnimoGDefaults("svc");
        builder.Configuration.AddInMemoryCollection([new("Consul:WaitTime", "01:00:00")]);
        await using var app = builder.Build();
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Contains("Consul:WaitTime must be between 1 second and 10 minutes, got 01:00:00.", e.Message);
    }

    private static WebApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Test" });
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        return builder;
    }
}
