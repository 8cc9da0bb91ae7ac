
namespace UnimoG.Engines;

public static class ModelInfos
{
    /// <summary>FailedPrecondition unless <paramref name="requested"/> is empty or names the served model.</summary>
    public static void CheckModel(string requested, string served, string field = "model")
    {
        if (requested.Length > 0 && !string.Equals(requested, served, StringComparison.Ordinal))
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.FailedPrecondition,
                $"{field}: model '{Echo.Of(requested)}' is not served here; this deployment serves '{served}' (leave {field} empty for it)"));
    }
}
