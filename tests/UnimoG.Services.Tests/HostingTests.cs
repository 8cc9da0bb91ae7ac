using UnimoG.Hosting;
using V1 = UnimoG.Contracts.V1;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Microsoft.Extensions.DependencyInjection;
using UnimoG.Cli;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Engines.Inference;
using UnimoG.Engines;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>The hosting defaults in the real services: health and reflection, request ids, auth, a missing model.</summary>
[Collection("cluster")]
public sealed class HostingTests(ClusterFixture fixture)
{
    private Cluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Every_service_is_serving_with_reflection()
    {
        foreach (var (address, service) in new[] { (Cluster.GatewayAddress, "unimog.v1.Gateway"), (Cluster.DenoiserAddress, "unimog.v1.Denoiser") })
        {
            var channel = Cluster.Channel(address);
            var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
            using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Contains(service, call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name));
        }
    }

    [Fact]
    public async Task The_callers_request_id_is_the_generations_id()
    {
        var client = new V1.Gateway.GatewayClient(Cluster.Channel(Cluster.GatewayAddress));
        using var call = client.Generate(GenerationTests.Request(steps: 1), new Metadata { { "x-request-id", "req-from-test-1" } });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("req-from-test-1", call.ResponseStream.Current.Accepted.RequestId);
        Assert.Equal("req-from-test-1", (await call.ResponseHeadersAsync).GetValue("x-request-id"));
    }

    [Fact]
    public async Task Missing_model_folder_is_failed_precondition_and_not_ready()
    {
        var url = $"http://127.0.0.1:{Cluster.FreePort()}";
        await using var app = ServeCommand.Build("denoiser", url, Cluster.FreePort(), "/nonexistent/unimog-mini", null, null, null,
            new Dictionary<string, string?> { ["Log:MinimumLevel"] = "Fatal" });
        await app.StartAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => app.Services.GetRequiredService<ModelSlot<DenoiseBatcher>>().Loaded);
        using var channel = GrpcChannel.ForAddress(url);
        var health = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, health.Status);
        var e = await Assert.ThrowsAsync<ModelUnavailableException>(() => new DenoiserClient(new V1.Denoiser.DenoiserClient(channel)).DescribeAsync());
        Assert.Contains("model folder not found: /nonexistent/unimog-mini", e.Detail);
        await app.StopAsync();
    }

    [Fact]
    public async Task API_keys_are_required_when_auth_is_configured()
    {
        var url = $"http://127.0.0.1:{Cluster.FreePort()}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("s3cret-key")));
        await using var app = ServeCommand.Build("gateway", url, Cluster.FreePort(), TestModel.Folder,
            Cluster.EncoderAddress, Cluster.DenoiserAddress, Cluster.VaeAddress, new Dictionary<string, string?>
            {
                ["Auth:ApiKeys:tests:Sha256"] = hash, ["Log:MinimumLevel"] = "Fatal", ["Studio:Url"] = "http://127.0.0.1:0",
            });
        await app.StartAsync();
        using var channel = GrpcChannel.ForAddress(url);
        var anonymous = await Assert.ThrowsAsync<UnimoGException>(() => new UnimoGClient(new V1.Gateway.GatewayClient(channel)).DescribeAsync());
        Assert.Equal(StatusCode.Unauthenticated, anonymous.Status);
        var withKey = new V1.Gateway.GatewayClient(channel.Intercept(m => { m.Add("x-api-key", "s3cret-key"); return m; }));
        var info = await withKey.DescribeAsync(new DescribeRequest());
        Assert.Equal("unimog-mini", info.Model);
        await app.StopAsync();
    }
}
