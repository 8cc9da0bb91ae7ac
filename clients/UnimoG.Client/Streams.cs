using System.Runtime.CompilerServices;
using Grpc.Core;

namespace UnimoG.Client;

internal static class Streams
{
    /// <summary>Reads a response stream, turning gRPC failures into <see cref="UnimoGException"/>s.</summary>
    public static async IAsyncEnumerable<T> ReadAll<T>(IAsyncStreamReader<T> reader, [EnumeratorCancellation] CancellationToken ct = default)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await reader.MoveNext(ct).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw UnimoGException.From(e);
            }
            if (!more) yield break;
            yield return reader.Current;
        }
    }

    /// <summary>Runs a gRPC step, turning its failure into a <see cref="UnimoGException"/>.</summary>
    public static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw UnimoGException.From(e);
        }
    }

    public static async Task Call(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw UnimoGException.From(e);
        }
    }
}
