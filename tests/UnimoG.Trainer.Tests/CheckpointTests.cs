using UnimoG.TestSupport;
using System.Text.Json.Nodes;
using UnimoG.Data.Checkpoints;

namespace UnimoG.Trainer.Tests;

[Collection("torch threads")]
public class CheckpointTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    /// <summary>A run with checkpoints at steps 2 and 4 (keep 5).</summary>
    private static string TwoCheckpoints(string name)
    {
        var dir = TinyWorld.TempDir(name);
        var (trainer, _) = TinyWorld.Trainer(World.Config(dir, steps: 4, extra: new JsonObject { ["checkpoints"] = new JsonObject { ["every"] = 2, ["keep_last"] = 5 } }));
        using (trainer) trainer.Run(resume: false);
        return dir;
    }

    public static TheoryData<string> Damages => ["truncated", "flipped", "missing", "no-manifest"];

    [Theory]
    [MemberData(nameof(Damages))]
    public void A_damaged_newest_checkpoint_falls_back_to_the_previous_one(string damage)
    {
        var dir = TwoCheckpoints("damage-" + damage);
        var newest = Path.Combine(dir, "checkpoints", "step-00000004");
        var weights = Path.Combine(newest, "unet", "diffusion_pytorch_model.safetensors");
        switch (damage)
        {
            case "truncated":
                using (var fs = new FileStream(weights, FileMode.Open)) fs.SetLength(fs.Length / 2);
                break;
            case "flipped":
                var bytes = File.ReadAllBytes(weights);
                bytes[^3] ^= 0x40;
                File.WriteAllBytes(weights, bytes);
                break;
            case "missing":
                File.Delete(Path.Combine(newest, "optimizer.safetensors"));
                break;
            case "no-manifest":
                File.Delete(Path.Combine(newest, CheckpointManifest.FileName));
                break;
        }
        var warnings = new List<string>();
        var store = CheckpointStore.ForRun(dir, warnings.Add);
        var list = store.List();
        Assert.Equal([4L, 2L], list.Select(c => c.Step));
        Assert.False(list[0].Valid);
        Assert.True(list[1].Valid);
        Assert.Equal(Path.Combine(dir, "checkpoints", "step-00000002"), store.NewestValid()!.Path);
        var warning = Assert.Single(warnings);
        Assert.Contains("step-00000004", warning);
        Assert.Contains(damage switch
        {
            "truncated" => "bytes",
            "flipped" => "SHA-256",
            "missing" => "optimizer.safetensors is missing",
            _ => "manifest.json is missing",
        }, warning);

        // and a resumed run starts from step 2, then writes a good step 4 over the damaged one
        var (trainer, runLog) = TinyWorld.Trainer(World.Config(dir, steps: 4, extra: new JsonObject { ["checkpoints"] = new JsonObject { ["every"] = 2, ["keep_last"] = 5 } }));
        using (trainer) trainer.Run(resume: true);
        Assert.Contains(runLog.Lines, l => l.Text.Contains("Resumed from") && l.Text.Contains("step-00000002"));
        Assert.All(store.List(), c => Assert.True(c.Valid, c.Problem));
    }

    [Fact]
    public void Checkpoints_have_the_diffusers_layout_and_a_manifest_of_every_file()
    {
        var dir = TwoCheckpoints("layout");
        var cp = Path.Combine(dir, "checkpoints", "step-00000004");
        foreach (var f in new[] { "unet/config.json", "unet/diffusion_pytorch_model.safetensors", "unet_ema/config.json",
                     "unet_ema/diffusion_pytorch_model.safetensors", "optimizer.safetensors", "random_states.safetensors", "trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(cp, f)), f);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(cp, "manifest.json")))!;
        Assert.Equal(7, manifest["files"]!.AsObject().Count);
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(cp, "trainer_state.json")))!;
        Assert.Equal(4, (long)state["step"]!);
        Assert.Equal(5, (long)state["shuffle_seed"]!);
        Assert.Empty(Directory.GetDirectories(Path.Combine(dir, "checkpoints"), ".tmp-*"));
        // the U-Net folder loads as a diffusers U-Net
        using var unet = UnimoG.Modeling.Diffusion.UNet2DConditionModel.FromPretrained(Path.Combine(cp, "unet"));
        Assert.Equal(24, unet.Config.CrossAttentionDim.At(0));
    }
}
