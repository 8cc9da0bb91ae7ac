using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Encoders;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Pipelines;

/// <summary>
/// <c>unimog models init-placeholder</c>: an UNTRAINED model folder of the placeholder architecture (<see cref="PlaceholderConfigs"/>)
/// with random weights drawn from one seed (<see cref="DeterministicInit"/>: the same seed writes the same
/// bytes), weights stored as float16 to keep the folder small, preview factors fitted to its random VAE, and the
/// UNTRAINED marker. It exists so every command works from a fresh clone before the trained model does.
/// </summary>
public static class PlaceholderModel
{
    public sealed record Result(string Folder, IReadOnlyDictionary<string, long> Parameters, long Bytes, double PreviewRmse);

    public static Result Create(string folder, long seed, ScalarType storage = ScalarType.Float16)
    {
        Directory.CreateDirectory(folder);
        var generator = new Generator((ulong)seed);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var unet = new UNet2DConditionModel(PlaceholderConfigs.UNet))
        {
            DeterministicInit.Apply(unet, generator);
            counts["unet"] = Save(unet, Path.Combine(folder, "unet"), ConfigJson.Write(unet.Config), storage);
        }
        double rmse;
        using (var vae = new AutoencoderKL(PlaceholderConfigs.Vae))
        {
            DeterministicInit.Apply(vae, generator);
            counts["vae"] = Save(vae, Path.Combine(folder, "vae"), ConfigJson.Write(vae.Config), storage);
            // Fit the previews to the weights as stored (float16 -> float32), i.e. as the services load them.
            using var stored = AutoencoderKL.FromPretrained(Path.Combine(folder, "vae"));
            using var images = SampleImages.Shapes(64, stored.Config.SampleSize?.At(0) ?? 64, seed);
            var preview = PreviewFitting.FitFromVae(stored, images, $"least squares on 64 synthetic shape images through this folder's VAE (init-placeholder --seed {seed})");
            preview.Save(folder);
            rmse = preview.FitRmse!.Value;
        }
        Directory.CreateDirectory(Path.Combine(folder, "scheduler"));
        File.WriteAllText(Path.Combine(folder, "scheduler", "scheduler_config.json"), DiffusionConfigs.Sd15SchedulerJson.Trim() + "\n");

        var arch = PlaceholderConfigs.Mllm;
        var (vision, adapter, llm) = arch.BuildParts();
        using (var encoder = new MllmEncoder(arch.Encoder, vision, adapter, llm, new DelegateTokenizer(_ => [])))
        {
            foreach (var m in new nn.Module[] { vision, (nn.Module)adapter, llm }) DeterministicInit.Apply(m, generator);
            var mllm = Path.Combine(folder, "mllm");
            MllmFolder.Save(encoder, mllm, storage);
            counts["mllm"] = vision.parameters().Concat(((nn.Module)adapter).parameters()).Concat(llm.parameters()).Sum(p => p.numel());
            var size = arch.Vision.ImageSize;
            File.WriteAllText(Path.Combine(mllm, "preprocessor_config.json"), new JsonObject
            {
                ["image_processor_type"] = "CLIPImageProcessor",
                ["size"] = new JsonObject { ["shortest_edge"] = size },
                ["crop_size"] = new JsonObject { ["height"] = size, ["width"] = size },
                ["do_resize"] = true, ["do_center_crop"] = true, ["resample"] = 3,
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            WriteTokenizerRef(folder, mllm);
        }
        File.WriteAllText(Path.Combine(folder, "model_index.json"), ModelFolder.ModelIndexJson(EncoderKind.Mllm));
        File.WriteAllText(Path.Combine(folder, ModelFolder.UntrainedMarker),
            $"Random weights made by `unimog models init-placeholder --seed {seed}`: this model is UNTRAINED and generates noise.\n" +
            "The trained mini model replaces this folder; delete this file only for a trained model.\n");
        var bytes = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        return new Result(folder, counts, bytes, rmse);
    }

    private static long Save(nn.Module module, string dir, string configJson, ScalarType storage)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson + "\n");
        using var scope = NewDisposeScope();
        var state = module.state_dict().Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to_type(storage))).ToList();
        SafetensorsWriter.Save(Path.Combine(dir, "diffusion_pytorch_model.safetensors"), state);
        return module.parameters().Sum(p => p.numel());
    }

    /// <summary>
    /// <c>mllm/tokenizer/tokenizer_ref.json</c>: LLaMA-2's tokenizer is referenced, not copied (its licence is unclear):
    /// the path of <c>../shared/tokenizers/llama2/tokenizer.model</c> relative to the model folder when it is found
    /// from here, and its SHA-256 when known.
    /// </summary>
    private static void WriteTokenizerRef(string folder, string mllm)
    {
        var full = Path.GetFullPath(folder);
        string? found = null;
        for (var d = new DirectoryInfo(full); d is not null && found is null; d = d.Parent)
        {
            var candidate = Path.GetFullPath(Path.Combine(d.FullName, ModelFolder.SharedLlamaTokenizer));
            if (File.Exists(candidate)) found = candidate;
        }
        var node = new JsonObject
        {
            ["path"] = found is null ? null : Path.GetRelativePath(full, found),
            ["sha256"] = found is null ? null : Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(found))),
            ["about"] = "LLaMA-2's SentencePiece tokenizer.model (32,000 pieces). Not stored here: its licence is unclear. " +
                        "Looked up at 'path' (relative to the model folder), then ../shared/tokenizers/llama2/tokenizer.model " +
                        "above the folder; set Model:TokenizerPath elsewhere.",
        };
        Directory.CreateDirectory(Path.Combine(mllm, "tokenizer"));
        File.WriteAllText(Path.Combine(mllm, "tokenizer", ModelFolder.TokenizerRefFile), node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }
}
