using System.Text.Json.Nodes;
using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Diffusion;
using UnimoG.TestSupport;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Diffusion;

/// <summary>Strict loading of diffusers folders: every missing, unexpected or mis-shaped key is named; legacy VAE names map.</summary>
public sealed class PretrainedLoadingTests : IDisposable
{
    private readonly string _tmp = Directory.CreateTempSubdirectory("unimog-load-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    /// <summary>A copy of the diffusers-a U-Net folder with its weights rewritten by <paramref name="edit"/>.</summary>
    private string UNetCopy(Action<Dictionary<string, Tensor>> edit, Action<JsonObject>? editConfig = null)
    {
        var src = RepoPaths.Fixtures("diffusers-a", "unet");
        var dir = Path.Combine(_tmp, "unet");
        Directory.CreateDirectory(dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(src, "config.json")))!.AsObject();
        editConfig?.Invoke(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var file = SafetensorsFile.Open(Path.Combine(src, "diffusion_pytorch_model.safetensors"));
        var tensors = file.Entries.Keys.ToDictionary(k => k, k => file.Read(k));
        edit(tensors);
        SafetensorsWriter.Save(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), tensors);
        foreach (var t in tensors.Values) t.Dispose();
        return dir;
    }

    [Fact]
    public void Missing_key_is_named()
    {
        var dir = UNetCopy(t => t.Remove("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"));
        var e = Assert.Throws<CheckpointMismatchException>(() => UNet2DConditionModel.FromPretrained(dir));
        Assert.Equal(["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"], e.Missing);
        Assert.Empty(e.Unexpected);
        Assert.Contains("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight", e.Message);
    }

    [Fact]
    public void Unexpected_key_is_named()
    {
        var dir = UNetCopy(t => t["time_embedding.cond_proj.weight"] = torch.zeros(32, 8));
        var e = Assert.Throws<CheckpointMismatchException>(() => UNet2DConditionModel.FromPretrained(dir));
        Assert.Equal(["time_embedding.cond_proj.weight"], e.Unexpected);
        Assert.Empty(e.Missing);
    }

    [Fact]
    public void Misshaped_keys_are_named_with_both_shapes()
    {
        // A config that disagrees with the weights: cross_attention_dim 16 instead of 32.
        var dir = UNetCopy(_ => { }, c => c["cross_attention_dim"] = 16);
        var e = Assert.Throws<CheckpointMismatchException>(() => UNet2DConditionModel.FromPretrained(dir));
        Assert.Equal(8, e.Misshaped.Count);   // attn2.to_k/to_v in 4 transformer blocks
        Assert.Contains("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight: checkpoint [32, 32], model [32, 16]", e.Message);
    }

    [Fact]
    public void Pipeline_folder_and_component_folder_both_load()
    {
        var pipeline = Path.Combine(DiffusersBFixtureTests.Dir, "unet_linear_two_layers");
        using var a = UNet2DConditionModel.FromPretrained(pipeline);
        using var b = UNet2DConditionModel.FromPretrained(Path.Combine(pipeline, "unet"));
        Assert.Equal(ConfigJson.Write(a.Config), ConfigJson.Write(b.Config));
        var missing = Assert.Throws<FileNotFoundException>(() => UNet2DConditionModel.FromPretrained(_tmp));
        Assert.Contains("unet/config.json", missing.Message);
        Assert.Throws<DirectoryNotFoundException>(() => AutoencoderKL.FromPretrained(Path.Combine(_tmp, "nope")));
    }

    [Fact]
    public void Legacy_VAE_names_with_1x1_conv_weights_load_to_the_same_model()
    {
        // diffusers-a's VAE rewritten as old checkpoints stored it: query/key/value/proj_attn as [C, C, 1, 1].
        var src = RepoPaths.Fixtures("diffusers-a", "vae");
        var dir = Path.Combine(_tmp, "vae");
        Directory.CreateDirectory(dir);
        File.Copy(Path.Combine(src, "config.json"), Path.Combine(dir, "config.json"));
        var file = SafetensorsFile.Open(Path.Combine(src, "diffusion_pytorch_model.safetensors"));
        var legacy = new Dictionary<string, Tensor>();
        var renamed = 0;
        foreach (var name in file.Entries.Keys)
        {
            var t = file.Read(name);
            var old = name.Replace(".to_q.", ".query.").Replace(".to_k.", ".key.").Replace(".to_v.", ".value.").Replace(".to_out.0.", ".proj_attn.");
            if (old != name)
            {
                renamed++;
                if (t.dim() == 2) t = t.unsqueeze(-1).unsqueeze(-1);
            }
            legacy[old] = t;
        }
        Assert.Equal(16, renamed);   // q, k, v, out weight and bias in encoder and decoder mid blocks
        SafetensorsWriter.Save(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), legacy);

        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        using var vae = AutoencoderKL.FromPretrained(dir);
        var io = SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "vae_io.safetensors"));
        TensorAssert.Close(io.Read("decoded"), vae.Decode(io.Read("latent")), 0, 1e-4, "decoded from legacy names");
        using var posterior = vae.Encode(io.Read("image"));
        TensorAssert.Close(io.Read("latent_dist_mean"), posterior.Mean, 0, 1e-4, "mean from legacy names");

        // Without the legacy mapping the same file is rejected, naming the old keys.
        using var plain = new AutoencoderKL(vae.Config);
        var e = Assert.Throws<CheckpointMismatchException>(() => plain.LoadStrict(TensorSource.ForComponent(dir)));
        Assert.Contains("encoder.mid_block.attentions.0.query.weight", e.Unexpected);
        Assert.Contains("encoder.mid_block.attentions.0.to_q.weight", e.Missing);
    }

    [Fact]
    public void Posterior_sample_uses_the_callers_generator()
    {
        // diffusers-a's `latent` is randn from a torch.Generator seeded 21: the same generator here gives the same
        // noise, so sample = mean + std * latent, every value taken from the reference files.
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var io = SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "vae_io.safetensors"));
        using var posterior = new DiagonalGaussian(io.Read("latent_dist_mean").expand(1, 4, 16, 16), io.Read("latent_dist_logvar"));
        var expected = io.Read("latent_dist_mean") + io.Read("latent_dist_std") * io.Read("latent");
        TensorAssert.Close(expected, posterior.Sample(new Generator(21)), 0, 1e-5, "posterior sample");
        var other = posterior.Sample(new Generator(22));
        TensorAssert.NotClose(expected, other, rtol: 0, atol: 0.1, what: "another seed gives other noise");
    }
}
