using UnimoG.Engines.Inference;
using System.Runtime.CompilerServices;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Contracts.V1;
using UnimoG.Modeling;
using UnimoG.Engines;

namespace UnimoG.Engines.InProcess;

/// <summary>
/// The denoiser without the network (one-process mode): the same <see cref="DenoiseBatcher"/> the gRPC service
/// feeds, with the caller's condition tensors copied in instead of streamed, and the same errors.
/// </summary>
public sealed class InProcessDenoiser(Func<DenoiseBatcher> batcher, DenoiserOptions options) : IDenoiserClient
{
    public async IAsyncEnumerable<DenoiseUpdate> DenoiseAsync(DenoiseOptions request, EncodedPrompt cond, EncodedPrompt? uncond,
        [EnumeratorCancellation] CancellationToken cancellationToken = default, DateTime? deadline = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (deadline is { } d && d != DateTime.MaxValue) cts.CancelAfter(Max(d.ToUniversalTime() - DateTime.UtcNow, TimeSpan.Zero));
        var ticket = Submit(request, cond, uncond, cts.Token);
        using (ticket)
        {
            var reader = ticket.Updates;
            while (true)
            {
                DenoiseUpdate? update;
                try
                {
                    if (!await reader.WaitToReadAsync(cts.Token).ConfigureAwait(false)) break;
                    if (!reader.TryRead(out update)) continue;
                }
                catch (Exception e)
                {
                    throw Fault(e, cancellationToken);
                }
                yield return update;
            }
        }
    }

    private DenoiseTicket Submit(DenoiseOptions request, EncodedPrompt cond, EncodedPrompt? uncond, CancellationToken ct)
    {
        Conditioning? c = null, u = null;
        try
        {
            var b = batcher();
            var spec = DenoiseSpec.From(request, b.Model, options);
            c = Copy("cond", cond, b);
            if (uncond is not null) u = Copy("uncond", uncond, b);
            var (cc, uu) = (c, u);
            c = u = null; // the batcher owns them now
            return b.Submit(spec, cc, uu, ct);
        }
        catch (Exception e)
        {
            c?.Dispose();
            u?.Dispose();
            throw Fault(e, CancellationToken.None);
        }
    }

    /// <summary>The batcher owns what it is given: copies of the caller's hidden states (masks are copied by the check).</summary>
    private Conditioning Copy(string prefix, EncodedPrompt prompt, DenoiseBatcher b)
    {
        var hidden = prompt.HiddenStates.clone();
        try
        {
            return DenoiseSpec.Condition(prefix, hidden, prompt.AttentionMask, b.Model, options);
        }
        catch
        {
            hidden.Dispose();
            throw;
        }
    }

    private static Exception Fault(Exception e, CancellationToken caller) =>
        e is OperationCanceledException && !caller.IsCancellationRequested
            ? new UnimoGException(StatusCode.DeadlineExceeded, "the call's deadline passed")
            : Faults.ForClient(e);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    public Task<ModelInfo> DescribeAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return Task.FromResult(batcher().Model.Info);
        }
        catch (Exception e)
        {
            throw Faults.ForClient(e);
        }
    }
}
