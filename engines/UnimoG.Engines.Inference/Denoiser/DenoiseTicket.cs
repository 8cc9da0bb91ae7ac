using System.Threading.Channels;
using UnimoG.Client;

namespace UnimoG.Engines.Inference;

/// <summary>
/// A queued request's updates. Dispose it when done reading (always): an unfinished request is cancelled and
/// leaves the batch at the next step, and tensors of updates never read are freed.
/// </summary>
public sealed class DenoiseTicket : IDisposable
{
    private readonly DenoiseJob _job;

    internal DenoiseTicket(DenoiseJob job) => _job = job;

    public ChannelReader<DenoiseUpdate> Updates => _job.Reader;

    public void Dispose() => _job.Abandon();
}
