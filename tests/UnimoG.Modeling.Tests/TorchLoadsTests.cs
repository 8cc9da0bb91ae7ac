using TorchSharp;

namespace UnimoG.Modeling.Tests;

public class TorchLoadsTests
{
    [Fact]
    public void LibTorch_loads_and_computes()
    {
        // 1 + 2 + ... + 6 = 21: fails if the native library did not load (see README, GLIBCXX).
        using var t = torch.arange(1, 7, dtype: torch.float32);
        Assert.Equal(21f, t.sum().item<float>());
    }
}
