using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using UnimoG.Hosting.Tests.Protos;
using UnimoG.Hosting.Tests.Support;

namespace UnimoG.Hosting.Tests;

/// <summary>gRPC server reflection lists the hosted services.</summary>
public class ReflectionTests
{
    [Fact]
    public async Task Reflection_lists_the_services()
    {
        await using var service = await TestService.StartAsync("reflection-test");
        using var call = new ServerReflection.ServerReflectionClient(service.Channel()).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext());
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("unimog.testing.v1.Relay", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }
}
