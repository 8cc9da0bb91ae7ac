using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnimoG.Hosting.Logging;
using UnimoG.Hosting.Shutdown;
using UnimoG.Engines.Telemetry;
using UnimoG.Hosting.Tests.Protos;

namespace UnimoG.Hosting.Tests.Support;

/// <summary>The test service: a thin service method on top of the hosting defaults, like a real one.</summary>
internal sealed class RelayService(
    IServiceProvider services,
    IConfiguration configuration,
    UnimoGService service,
    UnimoGMetrics metrics,
    Gates gates,
    Invocations invocations,
    ILogger<RelayService> log) : Relay.RelayBase
{
    private string Replica => configuration["Relay:Replica"] ?? service.Name;

    public override async Task<HopReply> Hop(HopRequest request, ServerCallContext context)
    {
        invocations.Add();
        var reply = new HopReply();
        reply.Path.Add(Replica);
        reply.RequestIds.Add(RequestId.Current ?? "");
        reply.TraceIds.Add(Activity.Current?.TraceId.ToHexString() ?? "");
        using (var step = UnimoGTelemetry.Source.StartActivity("relay step"))
        {
            step?.SetTag("replica", Replica);
            log.LogInformation("Relay {Replica} hop with {Payload}", Replica, request.Payload);
            metrics.StepDuration.Record(0.02, new KeyValuePair<string, object?>("step", "relay"));
            metrics.BatchSize.Record(2);
            metrics.RecordCacheLookup("test", hit: request.Payload == "hit");
            metrics.ImagesServed.Add(1);
        }
        if (services.GetService<Relay.RelayClient>() is { } next)
        {
            var downstream = await next.HopAsync(request, cancellationToken: context.CallToken());
            reply.Path.Add(downstream.Path);
            reply.RequestIds.Add(downstream.RequestIds);
            reply.TraceIds.Add(downstream.TraceIds);
        }
        return reply;
    }

    public override async Task<WaitReply> Wait(WaitRequest request, ServerCallContext context)
    {
        invocations.Add();
        await gates.PassAsync(request.Gate, context.CallToken());
        return new WaitReply { Replica = Replica };
    }

    public override Task<FailReply> Fail(FailRequest request, ServerCallContext context)
    {
        invocations.Add();
        throw new RpcException(new Status((StatusCode)request.Code, request.Message));
    }

    public override async Task Count(CountRequest request, IServerStreamWriter<CountReply> responseStream, ServerCallContext context)
    {
        invocations.Add();
        for (var i = 0; i < request.Count; i++)
            await responseStream.WriteAsync(new CountReply { Value = i }, context.CallToken());
    }
}
