using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

/// <summary>Health: the readiness gate keeps the service not serving until every requirement completes; liveness serves throughout.</summary>
public class ReadinessTests
{
    [Fact]
    public async Task Readiness_gate_keeps_health_not_serving_until_complete_while_liveness_serves()
    {
        await using var service = await TestService.StartAsync("health-test");
        var readiness = service.Get<Readiness>();
        using var http = new HttpClient();
        var healthz = $"http://127.0.0.1:{service.MetricsPort}/healthz";

        readiness.Require("model", "loading the model");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, await service.HealthAsync());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await service.HealthAsync("liveness"));
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, (await http.GetAsync(healthz)).StatusCode);

        readiness.Complete("model");
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, await service.HealthAsync());
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(healthz)).StatusCode);
    }
}
