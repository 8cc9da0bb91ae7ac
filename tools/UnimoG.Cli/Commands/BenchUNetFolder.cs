using System.Diagnostics;
using TorchSharp;
using UnimoG.Data.Config;
using UnimoG.Modeling;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;

namespace UnimoG.Cli;

/// <summary>
/// The U-Net of <c>bench unet</c>: a named configuration with random weights, or a diffusers folder whose weights
/// are loaded at the placement (the load's peak RSS shows no float32 copy of the model is made); <c>--save</c>
/// writes such a folder.
/// </summary>
internal static class BenchUNetFolder
{
    public static UNet2DConditionConfig Config(string name)
    {
        if (ModelCatalog.Find(name) is { } named)
        {
            var unet = named.Components().FirstOrDefault(c => c.ClassName == UNet2DConditionConfig.ClassName)
                ?? throw new UsageException($"configuration '{name}' has no U-Net to benchmark");
            return ConfigJson.Parse<UNet2DConditionConfig>(unet.ConfigJson, $"{name} unet config");
        }
        var dir = Pretrained.ComponentFolder(name, "unet");
        return ConfigJson.Read<UNet2DConditionConfig>(Path.Combine(dir, "config.json"));
    }

    public static UNet2DConditionModel Build(string name, UNet2DConditionConfig config, ModelPlacement at, TextWriter log)
    {
        var sw = Stopwatch.StartNew();
        var before = BenchCommand.Memory().Rss;
        if (ModelCatalog.Find(name) is null && WeightsIn(name) is { } weights)
        {
            var unet = UNet2DConditionModel.FromPretrained(name, null, at);
            var (rss, peak) = BenchCommand.Memory();
            var bytes = unet.parameters().Sum(p => p.numel() * p.ElementSize);
            var largest = unet.parameters().Max(p => p.numel() * p.ElementSize);
            log.WriteLine($"loaded {weights} in {sw.Elapsed.TotalSeconds:F1} s: weights {BenchUNet.Gb(bytes)} ({ModelPlacement.Name(at.DType)}), " +
                $"largest tensor {BenchUNet.Gb(largest)}; RSS before {BenchUNet.Gb(before)}, after {BenchUNet.Gb(rss)}, peak {BenchUNet.Gb(peak)} " +
                $"(peak - before = {(peak - before) / (double)bytes:F2} x the weight bytes)");
            return unet;
        }
        UNet2DConditionModel model;
        using (at.Use())
            model = new UNet2DConditionModel(config);   // PyTorch's default init; GroupNorm/LayerNorm ones and zeros
        model.eval();
        log.WriteLine($"built in {sw.Elapsed.TotalSeconds:F1} s, RSS {BenchUNet.Gb(BenchCommand.Memory().Rss)}");
        return model;
    }

    /// <summary>Writes <c>DIR/config.json</c> and <c>DIR/diffusion_pytorch_model.safetensors</c> in the placement's dtype.</summary>
    public static void Save(string name, string dir, ModelPlacement at, TextWriter log)
    {
        var config = Config(name);
        using var unet = Build(name, config, at, log);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), ConfigJson.Write(config) + "\n");
        var file = Path.Combine(dir, "diffusion_pytorch_model.safetensors");
        SafetensorsWriter.Save(file, unet.state_dict());
        log.WriteLine($"wrote {file}: {new FileInfo(file).Length / 1e9:F2} GB ({ModelPlacement.Name(at.DType)})");
    }

    private static string? WeightsIn(string folder)
    {
        var dir = Pretrained.ComponentFolder(folder, "unet");
        return Directory.EnumerateFiles(dir, "*.safetensors").Order(StringComparer.Ordinal).FirstOrDefault();
    }
}
