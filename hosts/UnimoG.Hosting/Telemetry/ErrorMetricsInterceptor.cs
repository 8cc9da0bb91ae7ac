using Grpc.Core;
using UnimoG.Hosting.Interceptors;

namespace UnimoG.Engines.Telemetry;

/// <summary>Counts every call that ends with a non-OK status, by method and status (<c>unimog_rpc_errors_total</c>).</summary>
internal sealed class ErrorMetricsInterceptor(UnimoGMetrics metrics) : ServerCallInterceptor
{
    protected override async Task<T> AroundAsync<T>(ServerCallContext context, Func<Task<T>> next)
    {
        Exception? error = null;
        try
        {
            return await next();
        }
        catch (Exception e)
        {
            error = e;
            throw;
        }
        finally
        {
            var status = CallOutcome.Of(context, error);
            if (status != StatusCode.OK)
                metrics.Errors.Add(1, new("grpc.method", context.Method), new("grpc.status", status.ToString()));
        }
    }
}
