using System.Text.Json;
using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog component sampler</c> against diffusers v0.31.0 itself: every case of
/// <c>../shared/fixtures/diffusers-samplers-a</c> (DPM-Solver++ 2M, 2M Karras, Euler, Euler ancestral, UniPC bh2), every
/// output at every step within a relative error of 1e-4.
/// </summary>
public class ComponentSamplerTests(ITestOutputHelper output)
{
    private static readonly string Root = RepoPaths.Fixtures("diffusers-samplers-a");

    /// <summary>Relative error of a step: max |ours - theirs| over max |theirs| (the step's scale; elements near 0 do not divide).</summary>
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "cases.json")));
        return new(doc.RootElement.GetProperty("cases").EnumerateObject().Select(c => c.Name).Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_diffusers_at_every_step(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "cases.json")));
        var info = doc.RootElement.GetProperty("cases").GetProperty(name);
        var steps = info.GetProperty("steps").GetInt32();
        var dir = Path.Combine(Root, name);
        var reference = SafetensorsFile.Open(Path.Combine(dir, "io.safetensors"));
        var inputs = Path.Combine(Directory.CreateTempSubdirectory("sampler-").FullName, "in.safetensors");
        var names = new[] { "initial_noise", "model_outputs", "step_noise" }.Where(reference.Entries.ContainsKey);
        SafetensorsWriter.Save(inputs, names.Select(n => KeyValuePair.Create(n, reference.Read(n))));
        var outPath = Path.Combine(Path.GetDirectoryName(inputs)!, "out.safetensors");

        var (code, _, error) = Unimog.Run("component", "sampler", "--scheduler", dir, "--num-inference-steps", $"{steps}",
            "--inputs", inputs, "--output", outPath);
        Assert.True(code == 0, error);
        var ours = SafetensorsFile.Open(outPath);

        Assert.Equal(reference.Entries["timesteps"].DType, ours.Entries["timesteps"].DType);
        using var scope = NewDisposeScope();
        var checkedNames = new List<string>();
        foreach (var tensorName in new[] { "timesteps", "sigmas", "init_noise_sigma", "scaled_model_inputs", "prev_samples", "pred_original_samples" })
        {
            if (!reference.Entries.ContainsKey(tensorName)) continue;
            var theirs = reference.Read(tensorName).to_type(ScalarType.Float64);
            var mine = ours.Read(tensorName).to_type(ScalarType.Float64);
            Assert.Equal(theirs.shape, mine.shape);
            var perStep = tensorName is "scaled_model_inputs" or "prev_samples" or "pred_original_samples";
            var worst = 0.0;
            for (var i = 0; i < (perStep ? theirs.shape[0] : 1); i++)
            {
                var (a, b) = perStep ? (mine[i], theirs[i]) : (mine, theirs);
                var scale = Math.Max(b.abs().max().item<double>(), 1e-12);
                var rel = (a - b).abs().max().item<double>() / scale;
                worst = Math.Max(worst, rel);
                Assert.True(rel <= Tolerance, $"{name} {tensorName}{(perStep ? $" step {i}" : "")}: relative error {rel:E2} > {Tolerance:E0}");
            }
            checkedNames.Add($"{tensorName} {worst:E1}");
        }
        output.WriteLine($"{name} ({steps} steps): worst relative error per output: {string.Join(", ", checkedNames)}");
        Assert.Contains(checkedNames, n => n.StartsWith("prev_samples", StringComparison.Ordinal));
    }
}
