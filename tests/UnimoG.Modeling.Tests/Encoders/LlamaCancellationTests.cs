using TorchSharp;
using UnimoG.Modeling.Encoders;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// The LLM checks its caller's token before every layer (issue 16, item 2: a cancelled encode used to run to the end).
/// A cancelled forward throws OperationCanceledException and frees every tensor it made; an uncancelled one is unchanged.
/// Not covered: the time from cancellation to stop, which is at most one layer's compute by construction.
/// </summary>
[Collection(nameof(Schedulers.TensorCountCollection))]   // counts live tensors process-wide: no parallel neighbours
public sealed class LlamaCancellationTests
{
    [Fact]
    public void A_cancelled_forward_stops_and_frees_its_tensors()
    {
        using var lm = new LlamaForCausalLM(MllmConfigs.Tiny.Llm);
        using var noGrad = torch.no_grad();
        using var ids = torch.tensor(new long[,] { { 1, 5, 6, 7 } });
        using (var warm = lm.model.forward(ids, outputHiddenStates: true)) Assert.Equal(MllmConfigs.Tiny.Llm.NumHiddenLayers + 1, warm.HiddenStates.Count);
        var before = torch.Tensor.TotalCount;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => lm.model.forward(ids, outputHiddenStates: true, cancellation: cancelled.Token));
        Assert.Equal(before, torch.Tensor.TotalCount);
        using var again = lm.model.forward(ids, outputHiddenStates: true, cancellation: CancellationToken.None);
        Assert.Equal(MllmConfigs.Tiny.Llm.NumHiddenLayers + 1, again.HiddenStates.Count);
    }
}
