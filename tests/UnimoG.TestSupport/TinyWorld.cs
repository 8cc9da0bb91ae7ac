using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using UnimoG.Data.Random;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Images;
using UnimoG.Text.Tokenizers;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;
using UnimoG.Engines.Trainer.Training;
using UnimoG.Data.Config;
using static TorchSharp.torch;

namespace UnimoG.TestSupport;

/// <summary>
/// A complete tiny training world on disk, made in the test (no downloads): 16x16 scenes of coloured rectangles in
/// EmojiWorld-style shards (stage 1) and data-preparation shards with entity segments and masks (stage 2); a tiny
/// MLLM (the real LLaMA tokenizer from ../shared, random weights), a tiny VAE (factor 2) and a tiny U-Net
/// configuration (two levels, cross-attention 24 wide). Files are written once per process and shared read-only.
/// </summary>
public sealed class TinyWorld
{
    private static readonly Lazy<TinyWorld> Shared = new(() => new TinyWorld());
    public static TinyWorld Instance => Shared.Value;

    public string Root { get; }
    public string Stage1Data => Path.Combine(Root, "stage1");
    public string Stage1Wide => Path.Combine(Root, "stage1-wide");
    public string Stage2Data => Path.Combine(Root, "stage2");
    public string Mllm => Path.Combine(Root, "mllm");
    public string Vae => Path.Combine(Root, "vae");
    public string UNetConfig => Path.Combine(Root, "unet_config.json");

    public static readonly string[] Colours = ["red", "green", "blue", "yellow"];
    private static readonly (float R, float G, float B)[] Rgb = [(1, -1, -1), (-1, 1, -1), (-1, -1, 1), (1, 1, -1)];

    public const string UNetConfigJson = """
        {"_class_name": "UNet2DConditionModel", "sample_size": 8, "in_channels": 4, "out_channels": 4,
         "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
         "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
         "block_out_channels": [16, 32], "layers_per_block": 1, "cross_attention_dim": 24,
         "attention_head_dim": 8, "norm_num_groups": 8}
        """;

    public const string VaeConfigJson = """
        {"_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3,
         "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"], "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
         "block_out_channels": [8, 16], "layers_per_block": 1, "latent_channels": 4, "norm_num_groups": 4,
         "sample_size": 16, "scaling_factor": 0.5}
        """;

    public static string Tokenizer => Path.Combine(RepoPaths.Shared, "tokenizers", "llama2", "tokenizer.model");

    /// <summary>The tiny MLLM with LLaMA's real 32000-token vocabulary (so the real tokenizer fits).</summary>
    public static MllmArchitecture MllmArch { get; } = MllmConfigs.Tiny with { Llm = MllmConfigs.Tiny.Llm with { VocabSize = 32000 } };

    private static readonly List<string> Temporary = [];

    static TinyWorld()
    {
        // the test host exits once: remove the world and every run folder then
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (Temporary)
                foreach (var d in Temporary)
                    try { Directory.Delete(d, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
    }

    private TinyWorld()
    {
        // worlds of test processes that are gone (a test host may be ended without ProcessExit) are removed here
        foreach (var stale in Directory.GetDirectories(Path.GetTempPath(), "unimog-train-world-*"))
            if (int.TryParse(Path.GetFileName(stale)["unimog-train-world-".Length..], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                try { Directory.Delete(stale, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        Root = Path.Combine(Path.GetTempPath(), $"unimog-train-world-{Environment.ProcessId}");
        lock (Temporary) Temporary.Add(Root);
        if (Directory.Exists(Root)) Directory.Delete(Root, true);
        Directory.CreateDirectory(Root);
        File.WriteAllText(UNetConfig, UNetConfigJson);
        WriteStage1(Stage1Data, 12, wide: false);
        WriteStage1(Stage1Wide, 24, wide: true);
        WriteStage2(Stage2Data, 12);
        using (var enc = NewEncoder()) MllmFolder.Save(enc, Mllm);
        Directory.CreateDirectory(Path.Combine(Mllm, "tokenizer"));
        File.Copy(Tokenizer, Path.Combine(Mllm, "tokenizer", "tokenizer.model"));
        using (var vae = new AutoencoderKL(ConfigJson.Parse<AutoencoderKLConfig>(VaeConfigJson, "tiny vae")))
        {
            WeightInit.Reset(vae, 11);
            Directory.CreateDirectory(Vae);
            File.WriteAllText(Path.Combine(Vae, "config.json"), VaeConfigJson);
            UnimoG.Modeling.Checkpoints.SafetensorsWriter.Save(Path.Combine(Vae, "diffusion_pytorch_model.safetensors"), vae.state_dict());
        }
    }

    /// <summary>A fresh tiny MLLM with seeded random weights.</summary>
    public static MllmEncoder NewEncoder(int seed = 7)
    {
        using var _ = no_grad();
        var (vision, adapter, llm) = MllmArch.BuildParts();
        var g = new Generator((ulong)seed);
        foreach (var m in new nn.Module[] { vision, (nn.Module)adapter, llm })
            foreach (var (_, p) in m.named_parameters())
                p.copy_(randn(p.shape, generator: g) * 0.3);
        return new MllmEncoder(MllmArch.Encoder, vision, adapter, llm, LlamaSentencePieceTokenizer.FromFile(Tokenizer).ForMllm());
    }

    /// <summary>A scene: a grey background with rectangles; returns [3, H, W] in [-1, 1] and each rectangle's mask.</summary>
    private static (Tensor Image, List<float[]> Masks) Scene(int w, int h, IReadOnlyList<(int Colour, int X0, int Y0, int X1, int Y1)> rects)
    {
        var img = zeros(3, h, w);
        var masks = new List<float[]>();
        foreach (var (c, x0, y0, x1, y1) in rects)
        {
            var m = new float[w * h];
            for (var y = y0; y < y1; y++) for (var x = x0; x < x1; x++) m[y * w + x] = 1;
            foreach (var r in masks) for (var i = 0; i < m.Length; i++) if (m[i] > 0) r[i] = 0;   // later rectangles occlude
            masks.Add(m);
            img[0, y0..y1, x0..x1] = Rgb[c].R;
            img[1, y0..y1, x0..x1] = Rgb[c].G;
            img[2, y0..y1, x0..x1] = Rgb[c].B;
        }
        return (img, masks);
    }

    private static void WriteStage1(string dir, int count, bool wide)
    {
        Directory.CreateDirectory(dir);
        var rng = new SplitMix64(wide ? 2UL : 1UL);
        var members = new List<(string, byte[])>();
        for (var i = 0; i < count; i++)
        {
            var (w, h) = wide && i % 2 == 1 ? (32, 16) : (16, 16);
            var c = rng.NextIntModulo(4);
            int x0 = rng.NextIntModulo(w - 6), y0 = rng.NextIntModulo(h - 6);
            var (img, _) = Scene(w, h, [(c, x0, y0, x0 + 6, y0 + 6)]);
            var key = $"s1_{i:D4}";
            members.Add(($"{key}.png", Png.Encode(img)));
            members.Add(($"{key}.json", Encoding.UTF8.GetBytes(new JsonObject
            {
                ["key"] = key,
                ["caption_en"] = $"a {Colours[c]} square",
                ["caption_zh"] = $"一个{Colours[c]}方块",
            }.ToJsonString())));
            members.Add(($"{key}.txt", Encoding.UTF8.GetBytes($"a {Colours[c]} square")));
            img.Dispose();
        }
        WriteTar(Path.Combine(dir, "part-000.tar"), members.Take(members.Count / 2 / 3 * 3));
        WriteTar(Path.Combine(dir, "part-001.tar"), members.Skip(members.Count / 2 / 3 * 3));
    }

    private static void WriteStage2(string dir, int count)
    {
        Directory.CreateDirectory(dir);
        var rng = new SplitMix64(3);
        var members = new List<(string, byte[])>();
        for (var i = 0; i < count; i++)
        {
            int c0 = rng.NextIntModulo(4), c1 = (c0 + 1 + rng.NextIntModulo(3)) % 4;
            int ax = rng.NextIntModulo(6), ay = rng.NextIntModulo(10), bx = 8 + rng.NextIntModulo(2), by = rng.NextIntModulo(10);
            var rects = new List<(int, int, int, int, int)> { (c0, ax, ay, ax + 6, ay + 6), (c1, bx, by, bx + 6, by + 6) };
            var (img, masks) = Scene(16, 16, rects);
            var key = $"s2_{i:D4}";
            var caption = $"a {Colours[c0]} square and a {Colours[c1]} square";
            var entities = new JsonArray();
            for (var k = 0; k < 2; k++)
            {
                var (seg, _) = Scene(6, 6, [(rects[k].Item1, 0, 0, 6, 6)]);
                members.Add(($"{key}.{k}.png", Png.Encode(seg)));
                seg.Dispose();
                var rle = CocoRle.Encode(masks[k], 16, 16);
                entities.Add(new JsonObject
                {
                    ["phrase"] = $"{Colours[rects[k].Item1]} square",
                    ["mask"] = new JsonObject { ["size"] = new JsonArray(16, 16), ["counts"] = new JsonArray([.. rle.Counts.Select(x => (JsonNode)x)]) },
                    ["mask_area"] = (int)masks[k].Sum(),
                    ["segment"] = $"{key}.{k}.png",
                });
            }
            var record = new JsonObject
            {
                ["format"] = "unimog-dataprep/1",
                ["key"] = key,
                ["image"] = $"{key}.png",
                ["width"] = 16,
                ["height"] = 16,
                ["caption"] = caption,
                ["text_only"] = false,
                ["prompt"] = "a <img1> and a <img2>",
                ["prompt_parts"] = new JsonArray(
                    new JsonObject { ["text"] = "a " },
                    new JsonObject { ["image"] = 1, ["entity"] = 0, ["member"] = $"{key}.0.png" },
                    new JsonObject { ["text"] = " and a " },
                    new JsonObject { ["image"] = 2, ["entity"] = 1, ["member"] = $"{key}.1.png" }),
                ["entities"] = entities,
            };
            members.Insert(members.Count - 2, ($"{key}.png", Png.Encode(img)));
            members.Insert(members.Count - 2, ($"{key}.json", Encoding.UTF8.GetBytes(record.ToJsonString())));
            img.Dispose();
        }
        WriteTar(Path.Combine(dir, "part-000.tar"), members);
    }

    private static void WriteTar(string path, IEnumerable<(string Name, byte[] Data)> members)
    {
        using var fs = File.Create(path);
        using var tar = new TarWriter(fs, TarEntryFormat.Ustar);
        foreach (var (name, data) in members)
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
    }

    /// <summary>A run configuration over this world (JSON text); <paramref name="extra"/> keys override the defaults.</summary>
    public string Config(string outputDir, int stage = 1, int steps = 4, JsonObject? extra = null)
    {
        var config = new JsonObject
        {
            ["output_dir"] = outputDir,
            ["seed"] = 5,
            ["threads"] = 1,
            ["model"] = new JsonObject { ["unet_config"] = UNetConfig, ["vae"] = Vae, ["scheduler"] = new JsonObject { ["num_train_timesteps"] = 1000 } },
            ["conditions"] = new JsonObject { ["source"] = "encoder", ["encoder"] = Mllm },
            ["optimizer"] = new JsonObject { ["learning_rate"] = 1e-3 },
            ["batch_size"] = 2,
            ["ema"] = new JsonObject { ["decay"] = 0.9 },
            ["checkpoints"] = new JsonObject { ["every"] = 0, ["keep_last"] = 3 },
            ["log_every"] = 1,
            ["phases"] = new JsonArray(new JsonObject
            {
                ["name"] = $"stage{stage}",
                ["data"] = new JsonObject { ["kind"] = stage == 1 ? "emojiworld" : "prepared", ["path"] = stage == 1 ? Stage1Data : Stage2Data },
                ["steps"] = steps,
                ["resolution"] = 16,
            }),
        };
        if (stage == 2) config["attention_loss"] = new JsonObject { ["lambda"] = 0.5 };
        foreach (var (k, v) in extra ?? []) config[k] = v?.DeepClone();
        return config.ToJsonString();
    }

    public static TrainingConfig Parse(string json) => TrainingConfig.Parse(json, Path.GetTempPath());

    /// <summary>A trainer over files, with an in-memory log.</summary>
    public static (UnimoG.Engines.Trainer.Training.Trainer Trainer, ListLogger Log) Trainer(string json)
    {
        var config = Parse(json);
        var log = new ListLogger();
        return (new UnimoG.Engines.Trainer.Training.Trainer(config, TrainingComponents.Load(config), log), log);
    }

    public static string TempDir(string name)
    {
        // run folders live inside the world's folder, so they go with it
        var dir = Path.Combine(Instance.Root, "runs", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
