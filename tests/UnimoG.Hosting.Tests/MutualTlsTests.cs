using System.Diagnostics;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using UnimoG.Hosting.Discovery;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;
using UnimoG.TestSupport;

namespace UnimoG.Hosting.Tests;

public sealed class MutualTlsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("unimog-mtls-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task Requires_a_client_certificate_signed_by_the_configured_CA()
    {
        DevCertificates.Write(dir, "encoder", "gateway", "client");
        await RunMutualTlsCase(dir);
    }

    /// <summary>The same case on the certificates made by the script users run.</summary>
    [RequiresToolFact("openssl")]
    public async Task Make_dev_certs_script_produces_certificates_that_work_for_mutual_TLS()
    {
        var script = Path.Combine(RepoPaths.Root, "infra", "certs", "make-dev-certs.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, dir]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, stderr);
        await RunMutualTlsCase(dir);
    }

    private static async Task RunMutualTlsCase(string certs)
    {
        string P(string f) => Path.Combine(certs, f);
        await using var service = await TestService.StartAsync("encoder", new Dictionary<string, string?>
        {
            ["Tls:Enabled"] = "true",
            ["Tls:RequireClientCertificate"] = "true",
            ["Tls:CertificatePath"] = P("encoder.crt"),
            ["Tls:KeyPath"] = P("encoder.key"),
            ["Tls:CaPath"] = P("ca.crt"),
        });
        var address = $"https://127.0.0.1:{service.GrpcPort}";

        // Another service (the gateway) calls with its own certificate through the shared client helper.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Services:encoder:Address"] = address,
            ["Tls:Enabled"] = "true",
            ["Tls:CertificatePath"] = P("gateway.crt"),
            ["Tls:KeyPath"] = P("gateway.key"),
            ["Tls:CaPath"] = P("ca.crt"),
        });
        builder.AddUnimoGServiceClient<Relay.RelayClient>("encoder");
        using (var host = builder.Build())
            Assert.Equal(["encoder"], (await host.Services.GetRequiredService<Relay.RelayClient>().HopAsync(new HopRequest())).Path);

        // The CLI-style client certificate works too; no certificate, or one from another CA, does not.
        var ca = X509CertificateLoader.LoadCertificateFromFile(P("ca.crt"));
        var client = X509Certificate2.CreateFromPemFile(P("client.crt"), P("client.key"));
        Assert.Equal(["encoder"], (await Call(address, ca, client)).Path);
        await Assert.ThrowsAsync<RpcException>(() => Call(address, ca, null));
        var rogueDir = Directory.CreateTempSubdirectory("unimog-rogue-").FullName;
        try
        {
            DevCertificates.Write(rogueDir, "client");
            var rogue = X509Certificate2.CreateFromPemFile(Path.Combine(rogueDir, "client.crt"), Path.Combine(rogueDir, "client.key"));
            await Assert.ThrowsAsync<RpcException>(() => Call(address, ca, rogue));
        }
        finally
        {
            Directory.Delete(rogueDir, true);
        }
        Assert.Equal(2, service.Get<Invocations>().Count);
    }

    private static async Task<HopReply> Call(string address, X509Certificate2 ca, X509Certificate2? clientCertificate)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                RemoteCertificateValidationCallback = (_, cert, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return cert is X509Certificate2 c && chain.Build(c);
                },
            },
        };
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        return await new Relay.RelayClient(channel).HopAsync(new HopRequest());
    }
}

/// <summary>A private CA and leaf certificates made in-process (what make-dev-certs.sh makes with openssl).</summary>
internal static class DevCertificates
{
    public static void Write(string dir, params string[] leaves)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=UNIMO-G test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        File.WriteAllText(Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem());
        var serial = 1;
        foreach (var name in leaves)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            var usages = new OidCollection { new("1.3.6.1.5.5.7.3.2") }; // clientAuth
            if (name != "client") usages.Add(new("1.3.6.1.5.5.7.3.1")); // serverAuth
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(name);
            san.AddDnsName("localhost");
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var leaf = request.Create(ca, now.AddDays(-1), now.AddDays(30), [(byte)serial++]);
            File.WriteAllText(Path.Combine(dir, $"{name}.crt"), leaf.ExportCertificatePem());
            File.WriteAllText(Path.Combine(dir, $"{name}.key"), key.ExportPkcs8PrivateKeyPem());
        }
    }
}
