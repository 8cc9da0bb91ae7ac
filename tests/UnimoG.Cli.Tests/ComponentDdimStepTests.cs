using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Cli.Tests;

/// <summary><c>unimog component ddim-step</c> against the real diffusers v0.31.0 outputs in tests/data/ddim.</summary>
public class ComponentDdimStepTests
{
    private static readonly string DataRoot = Path.Combine(RepoPaths.Root, "tests", "data", "ddim");

    public static TheoryData<string> Configs() => new(Directory.GetDirectories(DataRoot).Select(Path.GetFileName).Order()!);

    private static string Temp(string name) => Path.Combine(Directory.CreateTempSubdirectory("ddim-step-").FullName, name);

    private static string WriteInputs(params (string Name, Tensor Value)[] tensors)
    {
        var path = Temp("inputs.safetensors");
        SafetensorsWriter.Save(path, tensors.Select(t => new KeyValuePair<string, Tensor>(t.Name, t.Value)));
        return path;
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void Reproduces_diffusers_for_every_step_count(string name)
    {
        var reference = SafetensorsFile.Open(Path.Combine(DataRoot, name, "reference.safetensors"));
        foreach (var n in new[] { 1, 2, 3, 7, 10, 50 }.Where(n => reference.Entries.ContainsKey($"n{n}.timestep")))
        {
            var inputs = WriteInputs(("sample", reference.Read($"n{n}.sample")), ("model_output", reference.Read($"n{n}.model_output")),
                ("timestep", reference.Read($"n{n}.timestep")));
            var output = Temp("out.safetensors");
            var (code, _, error) = Unimog.Run("component", "ddim-step", "--scheduler", Path.Combine(DataRoot, name),
                "--num-inference-steps", $"{n}", "--inputs", inputs, "--output", output);
            Assert.True(code == 0, error);
            var result = SafetensorsFile.Open(output);
            Assert.Equal("F32", result.Entries["prev_sample"].DType);
            TensorAssert.Close(reference.Read($"n{n}.prev_sample"), result.Read("prev_sample"), what: $"{name} n{n} prev_sample");
            TensorAssert.Close(reference.Read($"n{n}.pred_original_sample"), result.Read("pred_original_sample"), what: $"{name} n{n} pred_original_sample");
            Assert.Equal("I64", result.Entries["timesteps"].DType);
            Assert.Equal(reference.Read($"n{n}.timesteps").data<long>().ToArray(), result.Read("timesteps").data<long>().ToArray());
        }
    }

    [Fact]
    public void Eta_with_given_variance_noise_matches()
    {
        var dir = Path.Combine(DataRoot, "sd15_leading");
        var reference = SafetensorsFile.Open(Path.Combine(dir, "reference.safetensors"));
        var inputs = WriteInputs(("sample", reference.Read("n10.sample")), ("model_output", reference.Read("n10.model_output")),
            ("timestep", reference.Read("n10.timestep")), ("variance_noise", reference.Read("n10.eta0.5.variance_noise")));
        var output = Temp("out.safetensors");
        var (code, _, error) = Unimog.Run("component", "ddim-step", "--scheduler", dir, "--num-inference-steps", "10",
            "--inputs", inputs, "--output", output, "--eta", "0.5");
        Assert.True(code == 0, error);
        TensorAssert.Close(reference.Read("n10.eta0.5.prev_sample"), SafetensorsFile.Open(output).Read("prev_sample"), what: "eta 0.5 prev_sample");
    }

    [Fact]
    public void Accepts_a_pipeline_folder()
    {
        var pipeline = Directory.CreateTempSubdirectory("pipeline-").FullName;
        Directory.CreateDirectory(Path.Combine(pipeline, "scheduler"));
        File.Copy(RepoPaths.Fixtures("diffusers-a", "ddim", "scheduler_config.json"), Path.Combine(pipeline, "scheduler", "scheduler_config.json"));
        var io = SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "ddim_io.safetensors"));
        // The fixture's plain trajectory: step i at timesteps_10[i] on latents[i-1] (x_T first) with eps[i].
        var previous = cat([io.Read("x_T"), io.Read("latents")[..9].reshape(9, 4, 8, 8)], 0);      // [10, 4, 8, 8]
        var inputs = WriteInputs(("sample", previous), ("model_output", io.Read("eps").reshape(10, 4, 8, 8)), ("timestep", io.Read("timesteps_10")));
        var output = Temp("out.safetensors");
        var (code, _, error) = Unimog.Run("component", "ddim-step", "--scheduler", pipeline, "--num-inference-steps", "10",
            "--inputs", inputs, "--output", output);
        Assert.True(code == 0, error);
        var result = SafetensorsFile.Open(output);
        TensorAssert.Close(io.Read("latents").reshape(10, 4, 8, 8), result.Read("prev_sample"), what: "fixture latents");
        TensorAssert.Close(io.Read("pred_original_sample").reshape(10, 4, 8, 8), result.Read("pred_original_sample"), what: "fixture pred_original_sample");
    }

    public static TheoryData<string, string[]> Mistakes() => new()
    {
        { "inputs file not found", ["--inputs", "/nonexistent/in.safetensors"] },
        { "no scheduler_config.json", ["--scheduler", "/nonexistent"] },
        { "--num-inference-steps must be in [1, 1000]", ["--num-inference-steps", "0"] },
        { "missing input tensor 'model_output'", ["drop:model_output"] },
        { "tensor 'timestep' is F32; expected I64", ["float-timestep"] },
        { "tensor 'model_output' has shape [3, 2, 2]", ["short-model-output"] },
        { "tensor 'timestep' has shape [2]", ["short-timestep"] },
        { "tensor 'timestep' [1] = 1000 is outside [0, 1000)", ["timestep-1000"] },
        { "needs a tensor named 'variance_noise'", ["--eta", "1"] },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void User_mistakes_print_one_line_naming_it_and_exit_with_code_2(string message, string[] change)
    {
        var g = new TorchSharp.torch.Generator(1);
        var tensors = new Dictionary<string, Tensor>
        {
            ["sample"] = randn([3, 2, 3], generator: g),
            ["model_output"] = randn([3, 2, 3], generator: g),
            ["timestep"] = tensor(new long[] { 901, 501, 1 }),
        };
        var args = new Dictionary<string, string>
        {
            ["--scheduler"] = RepoPaths.Fixtures("diffusers-a", "ddim"),
            ["--num-inference-steps"] = "10",
            ["--output"] = Temp("out.safetensors"),
        };
        switch (change[0])
        {
            case var drop when drop.StartsWith("drop:"): tensors.Remove(drop[5..]); break;
            case "float-timestep": tensors["timestep"] = tensor(new float[] { 901, 501, 1 }); break;
            case "short-model-output": tensors["model_output"] = zeros(3, 2, 2); break;
            case "short-timestep": tensors["timestep"] = tensor(new long[] { 901, 501 }); break;
            case "timestep-1000": tensors["timestep"] = tensor(new long[] { 901, 1000, 1 }); break;
            default: args[change[0]] = change[1]; break;
        }
        if (!args.ContainsKey("--inputs")) args["--inputs"] = WriteInputs([.. tensors.Select(kv => (kv.Key, kv.Value))]);
        var (code, _, error) = Unimog.Run(["component", "ddim-step", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
