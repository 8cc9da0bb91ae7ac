using UnimoG.TestSupport;
using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Checkpoints;

public class StrictLoaderTests
{
    private sealed class Tiny : nn.Module
    {
        public readonly nn.Module<Tensor, Tensor> proj = nn.Linear(3, 2);
        public readonly nn.Module<Tensor, Tensor> norm = nn.LayerNorm(2);
        public Tiny() : base("Tiny") => RegisterComponents();
    }

    private static string Save(params (string Name, Tensor Value)[] tensors)
    {
        var path = Path.Combine(Path.GetTempPath(), $"strict-{Guid.NewGuid():N}.safetensors");
        SafetensorsWriter.Save(path, tensors.Select(t => new KeyValuePair<string, Tensor>(t.Name, t.Value)));
        return path;
    }

    [Fact]
    public void Loads_matching_names_and_converts_dtype()
    {
        var path = Save(("proj.weight", torch.full(2, 3, 0.25f).half()), ("proj.bias", torch.tensor(new[] { 1f, 2f })),
                        ("norm.weight", torch.ones(2)), ("norm.bias", torch.zeros(2)));
        using var m = new Tiny();
        m.LoadStrict(TensorSource.FromFile(path));
        Assert.Equal(ScalarType.Float32, m.proj.parameters().First().dtype);
        using var y = m.proj.call(torch.ones(1, 3));
        Assert.Equal(new[] { 1.75f, 2.75f }, y.data<float>().ToArray());
    }

    [Fact]
    public void Lists_every_missing_unexpected_and_misshaped_key_and_copies_nothing()
    {
        var path = Save(("proj.weight", torch.zeros(3, 3)), ("proj.bias", torch.zeros(2)), ("norm.weight", torch.zeros(2)), ("extra.weight", torch.zeros(1)));
        using var m = new Tiny();
        var before = m.norm.parameters().First().clone();
        var e = Assert.Throws<CheckpointMismatchException>(() => m.LoadStrict(TensorSource.FromFile(path)));
        Assert.Equal(["norm.bias"], e.Missing);
        Assert.Equal(["extra.weight"], e.Unexpected);
        Assert.Single(e.Misshaped);
        Assert.Contains("proj.weight: checkpoint [3, 3], model [2, 3]", e.Message);
        Assert.Contains("norm.bias", e.Message);
        Assert.Contains("extra.weight", e.Message);
        TensorAssert.Identical(before, m.norm.parameters().First(), "norm weight (nothing may be copied when the checkpoint does not fit)");
    }

    [Fact]
    public void Renames_legacy_names_and_squeezes_1x1_conv_weights()
    {
        var path = Save(("query.weight", torch.ones(2, 3, 1, 1)), ("query.bias", torch.zeros(2)), ("norm.weight", torch.ones(2)), ("norm.bias", torch.zeros(2)));
        using var m = new Tiny();
        m.LoadStrict(TensorSource.FromFile(path), new LoadOptions
        {
            Rename = n => n.Replace("query.", "proj."),
            SqueezeConv1x1 = true,
        });
        Assert.Equal(6f, m.proj.parameters().First().sum().item<float>());
    }
}
