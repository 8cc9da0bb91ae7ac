using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog component ...</c> run in-process through the command line parser, on the diffusers fixtures
/// (../shared/fixtures/diffusers-a and tests/data/diffusers-b, both computed by diffusers 0.31.0).
/// </summary>
public sealed class ComponentCommandTests(ITestOutputHelper log) : IDisposable
{
    private const double Tol = 1e-4;
    private readonly string _tmp = Directory.CreateTempSubdirectory("unimog-cli-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static string B(params string[] parts) => Path.Combine([RepoPaths.Root, "tests", "data", "diffusers-b", .. parts]);

    private static Task<(int Code, string Error)> Run(params string[] args)
    {
        var (code, _, error) = Unimog.Run(args);
        return Task.FromResult((code, error));
    }

    /// <summary>Writes the named tensors of a reference file as a fresh inputs file.</summary>
    private string Inputs(string reference, params string[] names)
    {
        var file = SafetensorsFile.Open(reference);
        var path = Path.Combine(_tmp, $"in-{Guid.NewGuid():N}.safetensors");
        var tensors = names.Where(file.Entries.ContainsKey).ToDictionary(n => n, n => file.Read(n));
        SafetensorsWriter.Save(path, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        return path;
    }

    private double Compare(string outputPath, string name, string reference, string referenceName)
    {
        var output = SafetensorsFile.Open(outputPath);
        Assert.Equal("F32", output.Entries[name].DType);
        using var got = output.Read(name);
        using var want = SafetensorsFile.Open(reference).Read(referenceName);
        return TensorAssert.Close(want, got, rtol: 0, atol: Tol, what: $"{name} vs {referenceName}");
    }

    public static TheoryData<string, string, string?> UNetCases => new()
    {
        // model folder (relative to its data root), io file, --variant
        { "a:unet", "a:unet_io.safetensors", null },
        { "b:unet_three_levels/unet", "b:unet_three_levels/unet_io.safetensors", null },
        { "b:unet_linear_two_layers", "b:unet_linear_two_layers/unet_io.safetensors", null },   // pipeline folder
        { "b:unet_fp16_sharded_knobs/unet", "b:unet_fp16_sharded_knobs/unet_io.safetensors", "fp16" },
        { "b:unet_fp16_sharded_knobs", "b:unet_fp16_sharded_knobs/unet_io.safetensors", null },   // the lone fp16 index is found
        { "b:unet_no_mid_asymmetric/unet", "b:unet_no_mid_asymmetric/unet_io.safetensors", null },
    };

    private static string Resolve(string spec) => spec[0] == 'a'
        ? RepoPaths.Fixtures(["diffusers-a", .. spec[2..].Split('/')])
        : B(spec[2..].Split('/'));

    [Theory]
    [MemberData(nameof(UNetCases))]
    public async Task UNet_command_reproduces_diffusers(string model, string io, string? variant)
    {
        var reference = Resolve(io);
        foreach (var masked in new[] { false, true })
        {
            var names = new List<string> { "sample", "timestep", "encoder_hidden_states", "timestep_cond" };
            if (masked) names.Add("encoder_attention_mask");
            var output = Path.Combine(_tmp, $"out-{masked}.safetensors");
            string[] args = ["component", "unet", "--model", Resolve(model), "--inputs", Inputs(reference, [.. names]), "--output", output];
            if (variant is not null) args = [.. args, "--variant", variant];
            var (code, error) = await Run(args);
            Assert.True(code == 0, error);
            var err = Compare(output, "output_sample", reference, masked ? "output_sample_masked" : "output_sample");
            log.WriteLine($"{model} {(masked ? "masked" : "unmasked")}: max abs error {err:E2}");
        }
    }

    public static TheoryData<string, string, string?> VaeCases => new()
    {
        { "a:vae", "a:vae_io.safetensors", null },
        { "b:vae_three_levels", "b:vae_three_levels/vae_io.safetensors", null },
        { "b:vae_no_attention/vae", "b:vae_no_attention/vae_io.safetensors", null },
        { "b:unet_linear_two_layers", "b:unet_linear_two_layers/vae_io.safetensors", null },   // pipeline folder
        { "b:vae_legacy_fp16_sharded/vae", "b:vae_legacy_fp16_sharded/vae_io.safetensors", "fp16" },
    };

    [Theory]
    [MemberData(nameof(VaeCases))]
    public async Task VAE_commands_reproduce_diffusers(string model, string io, string? variant)
    {
        var reference = Resolve(io);
        string[] extra = variant is null ? [] : ["--variant", variant];
        var encoded = Path.Combine(_tmp, "enc.safetensors");
        var (code, error) = await Run(["component", "vae-encode", "--model", Resolve(model), "--inputs", Inputs(reference, "image"), "--output", encoded, .. extra]);
        Assert.True(code == 0, error);
        var e1 = Compare(encoded, "latent_dist_mean", reference, "latent_dist_mean");
        var e2 = Compare(encoded, "latent_dist_logvar", reference, "latent_dist_logvar");

        var decoded = Path.Combine(_tmp, "dec.safetensors");
        (code, error) = await Run(["component", "vae-decode", "--model", Resolve(model), "--inputs", Inputs(reference, "latent"), "--output", decoded, .. extra]);
        Assert.True(code == 0, error);
        var e3 = Compare(decoded, "decoded", reference, "decoded");
        log.WriteLine($"{model}: mean {e1:E2}, logvar {e2:E2}, decoded {e3:E2}");
    }

    [Fact]
    public async Task VAE_encode_samples_with_the_given_seed()
    {
        // diffusers-a's `latent` is randn from a generator seeded 21, so --seed 21 gives mean + std * latent.
        var reference = RepoPaths.Fixtures("diffusers-a", "vae_io.safetensors");
        var output = Path.Combine(_tmp, "enc.safetensors");
        var (code, error) = await Run(["component", "vae-encode", "--model", RepoPaths.Fixtures("diffusers-a"), "--inputs", Inputs(reference, "image"), "--output", output, "--seed", "21"]);
        Assert.True(code == 0, error);
        var r = SafetensorsFile.Open(reference);
        using var expected = r.Read("latent_dist_mean") + r.Read("latent_dist_std") * r.Read("latent");
        using var got = SafetensorsFile.Open(output).Read("latent_sample");
        TensorAssert.Close(expected, got, rtol: 0, atol: 1e-4, what: "latent_sample");
    }

    public static TheoryData<string, string[], string> UserErrors => new()
    {
        // what is wrong, the inputs to write (name=dtype), text the one-line error must contain
        { "missing tensor", ["timestep", "encoder_hidden_states"], "missing input tensor 'sample'" },
        { "integer sample", ["sample=I64", "timestep", "encoder_hidden_states"], "tensor 'sample' is I64" },
        { "wrong rank", ["sample=3d", "timestep", "encoder_hidden_states"], "tensor 'sample' has shape [2, 4, 64]; expected [B, C, H, W]" },
        { "wrong width", ["sample", "timestep", "encoder_hidden_states=wide"], "tensor 'encoder_hidden_states' has shape [2, 7, 33]; dimension 2 must be 32" },
        { "mask length", ["sample", "timestep", "encoder_hidden_states", "encoder_attention_mask=short"], "tensor 'encoder_attention_mask' has shape [2, 6]; dimension 1 must be 7" },
        { "timestep batch", ["sample", "timestep=3", "encoder_hidden_states"], "tensor 'timestep' has shape [3]" },
        { "unused cond", ["sample", "timestep", "encoder_hidden_states", "timestep_cond"], "time_cond_proj_dim is null" },
    };

    [Theory]
    [MemberData(nameof(UserErrors))]
    public async Task User_mistakes_are_one_line_with_exit_code_2(string what, string[] inputs, string expected)
    {
        var io = SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "unet_io.safetensors"));
        var tensors = new Dictionary<string, Tensor>();
        foreach (var spec in inputs)
        {
            var parts = spec.Split('=');
            var name = parts[0];
            var t = name == "timestep_cond" ? torch.zeros(2, 8) : io.Read(name);
            if (parts.Length > 1)
                t = parts[1] switch
                {
                    "I64" => t.to_type(ScalarType.Int64),
                    "3d" => t.reshape(2, 4, 64),
                    "wide" => torch.cat([t, torch.zeros(2, 7, 1)], 2),
                    "short" => t[.., ..6],
                    "3" => torch.tensor(new long[] { 1, 2, 3 }),
                    _ => throw new ArgumentException(parts[1]),
                };
            tensors[name] = t;
        }
        var path = Path.Combine(_tmp, "bad.safetensors");
        SafetensorsWriter.Save(path, tensors);
        var (code, error) = await Run(["component", "unet", "--model", RepoPaths.Fixtures("diffusers-a"), "--inputs", path, "--output", Path.Combine(_tmp, "o.safetensors")]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_tmp, "o.safetensors")), what);
    }

    [Fact]
    public async Task Missing_files_and_bad_configs_are_one_line_with_exit_code_2()
    {
        var io = Inputs(RepoPaths.Fixtures("diffusers-a", "unet_io.safetensors"), "sample", "timestep", "encoder_hidden_states");
        var output = Path.Combine(_tmp, "o.safetensors");

        var (code, error) = await Run(["component", "unet", "--model", RepoPaths.Fixtures("diffusers-a"), "--inputs", Path.Combine(_tmp, "none.safetensors"), "--output", output]);
        Assert.Equal(2, code);
        Assert.Contains("inputs file not found", error);

        (code, error) = await Run(["component", "unet", "--model", Path.Combine(_tmp, "nowhere"), "--inputs", io, "--output", output]);
        Assert.Equal(2, code);
        Assert.Contains("model folder not found", error);

        // A U-Net folder whose config asks for something we do not build.
        var dir = Path.Combine(_tmp, "unet");
        Directory.CreateDirectory(dir);
        var config = File.ReadAllText(RepoPaths.Fixtures("diffusers-a", "unet", "config.json")).Replace("\"attention_type\": \"default\"", "\"attention_type\": \"gated\"");
        File.WriteAllText(Path.Combine(dir, "config.json"), config);
        (code, error) = await Run(["component", "unet", "--model", dir, "--inputs", io, "--output", output]);
        Assert.Equal(2, code);
        Assert.Contains($"{Path.Combine(dir, "config.json")}: attention_type: \"gated\" is not supported", error);

        // Weights that do not fit: the VAE's weights under a U-Net config.
        File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(RepoPaths.Fixtures("diffusers-a", "unet", "config.json")));
        File.Copy(RepoPaths.Fixtures("diffusers-a", "vae", "diffusion_pytorch_model.safetensors"), Path.Combine(dir, "diffusion_pytorch_model.safetensors"));
        (code, error) = await Run(["component", "unet", "--model", dir, "--inputs", io, "--output", output]);
        Assert.Equal(2, code);
        Assert.Contains("missing (208)", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }
}
