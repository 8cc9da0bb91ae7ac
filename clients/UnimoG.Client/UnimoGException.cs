using Grpc.Core;

namespace UnimoG.Client;

/// <summary>
/// A UNIMO-G call that failed, with the server's status and message. Bad input messages start with the
/// offending field ("width: must be a multiple of 8 ..."), which <see cref="Field"/> gives.
/// Subclasses for the statuses callers usually handle: <see cref="InvalidRequestException"/>,
/// <see cref="ModelUnavailableException"/>, <see cref="ServerBusyException"/>.
/// </summary>
public class UnimoGException(StatusCode status, string detail, Exception? inner = null, TimeSpan? retryAfter = null)
    : Exception($"{status}: {detail}", inner)
{
    /// <summary>The trailer in which a refused call says when to retry, in milliseconds (also a google.rpc.RetryInfo).</summary>
    public const string RetryAfterTrailer = "retry-after-ms";

    public StatusCode Status { get; } = status;

    /// <summary>The server's message, without the status.</summary>
    public string Detail { get; } = detail;

    /// <summary>When the server said to retry (its <c>retry-after-ms</c> trailer), or null.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>The field (or tensor) the message names first, e.g. <c>prompt.images[1]</c>; null when it names none.</summary>
    public string? Field
    {
        get
        {
            var colon = Detail.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0) return null;
            var head = Detail[..colon];
            if (head.EndsWith(">)", StringComparison.Ordinal) && head.LastIndexOf(" (<img", StringComparison.Ordinal) is > 0 and var named)
                head = head[..named];   // "prompt.images[1] (<img2>)": the field, then its placeholder
            if (head.StartsWith("tensor '", StringComparison.Ordinal) && head.EndsWith('\'')) return head[8..^1];
            return head.Contains(' ') ? null : head;
        }
    }

    /// <summary>The typed exception for a failed call.</summary>
    public static UnimoGException From(RpcException e) => From(e.Status.StatusCode, e.Status.Detail, e, RetryAfterOf(e.Trailers));

    public static UnimoGException From(StatusCode status, string detail, Exception? inner = null, TimeSpan? retryAfter = null) => status switch
    {
        StatusCode.InvalidArgument => new InvalidRequestException(detail, inner),
        StatusCode.FailedPrecondition => new ModelUnavailableException(detail, inner),
        StatusCode.ResourceExhausted => new ServerBusyException(detail, inner, retryAfter),
        _ => new UnimoGException(status, detail, inner, retryAfter),
    };

    /// <summary>The <c>retry-after-ms</c> trailer, or null when absent or not a number.</summary>
    public static TimeSpan? RetryAfterOf(Metadata trailers) =>
        trailers.GetValue(RetryAfterTrailer) is { } ms
        && double.TryParse(ms, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= 0
            ? TimeSpan.FromMilliseconds(v)
            : null;

    /// <summary>Back to a gRPC error with the same status and message (a gateway relaying a service's answer).</summary>
    public RpcException ToRpcException() => new(new Status(Status, Detail));
}

/// <summary>InvalidArgument: the request is wrong; <see cref="UnimoGException.Field"/> names what.</summary>
public sealed class InvalidRequestException(string detail, Exception? inner = null) : UnimoGException(StatusCode.InvalidArgument, detail, inner);

/// <summary>FailedPrecondition: the model asked for is not served, or the service's model folder is missing or broken.</summary>
public sealed class ModelUnavailableException(string detail, Exception? inner = null) : UnimoGException(StatusCode.FailedPrecondition, detail, inner);

/// <summary>ResourceExhausted: a queue or budget is full or a caller's limit is reached; retry later (<see cref="UnimoGException.RetryAfter"/>, when given).</summary>
public sealed class ServerBusyException(string detail, Exception? inner = null, TimeSpan? retryAfter = null)
    : UnimoGException(StatusCode.ResourceExhausted, detail, inner, retryAfter);
