using System.Runtime.CompilerServices;
using Grpc.Core;
using UnimoG.Client;
using UnimoG.Client.Torch;
using UnimoG.Contracts.V1;
using UnimoG.Engines.Inference;
using UnimoG.Modeling;

namespace UnimoG.Engines.InProcess;

/// <summary>
/// The denoiser without the network (one-process mode): the same <see cref="DenoiseBatcher"/> the gRPC service
/// feeds, the same checks, with the caller's condition tensors copied in instead of streamed, and the same errors.
/// </summary>
public sealed class InProcessDenoiser(Func<DenoiseBatcher> batcher) : IDenoiserClient
{
    public async IAsyncEnumerable<DenoiseUpdate> DenoiseAsync(DenoiseOptions request, WireConditioning cond, WireConditioning? uncond,
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

    private DenoiseTicket Submit(DenoiseOptions request, WireConditioning cond, WireConditioning? uncond, CancellationToken ct)
    {
        Conditioning? c = null, u = null;
        try
        {
            var b = batcher();
            var spec = GenerationSpec.Check(request, b.Model.Info, b.Options.Limits);
            c = ToTorch("cond", cond, b);
            if (uncond is not null) u = ToTorch("uncond", uncond, b);
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

    /// <summary>The batcher owns what it is given: new tensors with the caller's values, checked as the service checks them.</summary>
    private static Conditioning ToTorch(string prefix, WireConditioning prompt, DenoiseBatcher b)
    {
        var hidden = prompt.HiddenStates.ToTorch();
        try
        {
            using var mask = prompt.AttentionMask.ToTorch();
            return ConditionCheck.Check(prefix, hidden, mask, b.Model, b.Options);
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
