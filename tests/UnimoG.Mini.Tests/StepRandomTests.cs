using UnimoG.TestSupport;
using System.Text.Json;
using TorchSharp;
using UnimoG.Mini.Data;
using UnimoG.Mini.Training;
using UnimoG.Mini.Vae;
using UnimoG.Modeling.Images;
using static TorchSharp.torch;
using UnimoG.Imaging;
using UnimoG.Data.Config;

namespace UnimoG.Mini.Tests;

/// <summary>Per-step randomness: a function of the seed, the stream name and the step only.</summary>
public class StepRandomTests
{
    [Fact]
    public void Step_randomness_depends_on_seed_stream_and_step_only()
    {
        Assert.Equal(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(1, "a", 5).NextUInt64());
        Assert.NotEqual(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(1, "a", 6).NextUInt64());
        Assert.NotEqual(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(1, "b", 5).NextUInt64());
        Assert.NotEqual(StepRandom.Data(1, "a", 5).NextUInt64(), StepRandom.Data(2, "a", 5).NextUInt64());
        using var x = torch.randn([4], generator: StepRandom.Torch(1, "a", 5));
        using var y = torch.randn([4], generator: StepRandom.Torch(1, "a", 5));
        TensorAssert.Identical(x, y, "draws of one seed, stream and step");
    }
}
