using UnimoG.TestSupport;
using TorchSharp;
using UnimoG.Data.Config;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Encoders;
using static TorchSharp.torch;
using static UnimoG.Modeling.Tests.Encoders.TransformersFixtures;

namespace UnimoG.Modeling.Tests.Encoders;

public class ComponentErrorTests
{
    private static string Inputs(params (string Name, Tensor Value)[] tensors)
    {
        var path = Path.Combine(Path.GetTempPath(), $"inputs-{Guid.NewGuid():N}.safetensors");
        SafetensorsWriter.Save(path, tensors.Select(t => KeyValuePair.Create(t.Name, t.Value)));
        return path;
    }

    private static string Fail(string kind, string model, string inputs) =>
        Assert.Throws<InvalidDataException>(() => ComponentRunner.RunFiles(kind, Dir(model), inputs, Path.Combine(Path.GetTempPath(), "never.safetensors"))).Message;

    [Fact]
    public void Input_mistakes_name_the_tensor()
    {
        Assert.Contains("missing input tensor 'pixel_values'", Fail("clip-vision", "clip_vision", Inputs(("pixels", torch.zeros(1, 3, 30, 30)))));
        Assert.Contains("'pixel_values' has shape [1, 3, 32, 32]; expected [B, 3, 30, 30]", Fail("clip-vision", "clip_vision", Inputs(("pixel_values", torch.zeros(1, 3, 32, 32)))));
        Assert.Contains("tensor 'input_ids' is F32; expected I64", Fail("clip-text", "clip_text_eos", Inputs(("input_ids", torch.zeros(1, 4)))));
        Assert.Contains("tensor 'input_ids' has ids outside [0, 99)", Fail("clip-text", "clip_text_eos", Inputs(("input_ids", torch.tensor(new long[,] { { 96, 120 } })))));
        Assert.Contains("'attention_mask' has shape [1, 3]", Fail("llama", "llama_gqa", Inputs(("input_ids", torch.ones(1, 4, ScalarType.Int64)), ("attention_mask", torch.ones(1, 3, ScalarType.Int64)))));
        Assert.Contains("not both", Fail("llama", "llama_gqa", Inputs(("input_ids", torch.ones(1, 4, ScalarType.Int64)), ("inputs_embeds", torch.zeros(1, 4, 48)))));
        Assert.Contains("'encoder_hidden_states' has shape [2, 26, 32]", Fail("qformer", "qformer", Inputs(("query_embeds", torch.zeros(2, 6, 32)), ("encoder_hidden_states", torch.zeros(2, 26, 32)))));
        Assert.Contains("input_ids has 13 tokens", Fail("clip-text", "clip_text_eos", Inputs(("input_ids", torch.ones(1, 13, ScalarType.Int64)))));
    }

    [Fact]
    public void Strict_loading_lists_missing_and_misshaped_tensors()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"llama-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            System.IO.File.Copy(File("llama_gqa", "config.json"), Path.Combine(dir, "config.json"));
            var f = SafetensorsFile.Open(File("llama_gqa", "model.safetensors"));
            var kept = f.Entries.Keys.Where(k => k != "model.norm.weight")
                .Select(k => KeyValuePair.Create(k, k == "model.layers.1.self_attn.k_proj.weight" ? torch.zeros(48, 48, ScalarType.Float16) : f.Read(k)));
            SafetensorsWriter.Save(Path.Combine(dir, "model.safetensors"), kept);
            var e = Assert.Throws<CheckpointMismatchException>(() => LlamaForCausalLM.FromPretrained(dir));
            Assert.Equal(["model.norm.weight"], e.Missing);
            Assert.Contains("model.layers.1.self_attn.k_proj.weight: checkpoint [48, 48], model [16, 48]", e.Message);

            System.IO.File.WriteAllText(Path.Combine(dir, "config.json"), """{"hidden_size": 48, "num_attention_heads": 6, "rope_scaling": {"type": "linear", "factor": 2.0}}""");
            var bad = Assert.Throws<ConfigException>(() => LlamaForCausalLM.FromPretrained(dir));
            Assert.Equal("rope_scaling", bad.Key);
            Assert.StartsWith($"{Path.Combine(dir, "config.json")}: rope_scaling: ", bad.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Plain_LLaMA_model_checkpoints_load_without_the_prefix()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"llama-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            System.IO.File.Copy(File("llama_gqa", "config.json"), Path.Combine(dir, "config.json"));
            var f = SafetensorsFile.Open(File("llama_gqa", "model.safetensors"));
            var plain = f.Entries.Keys.Where(k => k.StartsWith("model.")).Select(k => KeyValuePair.Create(k["model.".Length..], f.Read(k)))
                .Append(KeyValuePair.Create("layers.0.self_attn.rotary_emb.inv_freq", torch.ones(4)));
            SafetensorsWriter.Save(Path.Combine(dir, "model.safetensors"), plain);
            var outPath = Path.Combine(dir, "out.safetensors");
            ComponentRunner.RunFiles("llama", dir, File("llama_gqa", "right_inputs.safetensors"), outPath);
            var o = SafetensorsFile.Open(outPath);
            TensorAssert.Close(Read("llama_gqa", "right_outputs.safetensors"), o.Entries.Keys.ToDictionary(k => k, k => o.Read(k)), rtol: 0, atol: 1e-5);
            using var lm = LlamaForCausalLM.FromPretrained(dir);
            Assert.False(lm.HasHead);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
