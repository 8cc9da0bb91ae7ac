using System.Globalization;
using TorchSharp;
using UnimoG.Modeling;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Diffusion;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Pipelines;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>What a generation asks of memory: batch rows, image side, prompt tokens and images.</summary>
internal sealed record PlanShape(int Batch, int Size, int Tokens, int Images);

/// <summary>
/// <c>unimog models info NAME|DIR --dtype D</c>: a memory plan per service. Weights are exact (parameters counted on
/// the meta device times the dtype's bytes). U-Net and VAE activations are measured on small probes and extrapolated
/// (<see cref="MemoryProbe"/>); the MLLM's come from a stated formula. docs/operations.md turns these into GPU pools.
/// </summary>
internal static class ModelsMemoryPlan
{
    private sealed record Row(string Service, string Component, long Parameters, double Weights, double? Activations, string How);

    public static string Describe(string nameOrDir, ScalarType dtype, PlanShape s)
    {
        var (unet, vae, mllm, title) = Components(nameOrDir);
        var bytes = dtype == ScalarType.Float32 ? 4 : 2;
        var rows = new List<Row>();
        if (mllm is not null)
        {
            var counts = MllmConfigs.CountParameters(mllm);
            rows.Add(new("encoder", $"mllm ({mllm.Encoder.ModelId})", counts["total"], counts["total"] * (double)bytes, MllmActivations(mllm, s, bytes),
                "formula: hidden states of every LLM layer kept + the largest layer's q/k/v, fp32 scores and MLP; ViT the same per image"));
        }
        if (unet is not null)
        {
            var fit = MemoryProbe.UNet(unet, dtype);
            var f = vae is null ? 8 : 1 << (vae.BlockOutChannels.Count - 1);
            var latent = s.Size / f;
            rows.Add(new("denoiser", "unet", UNet2DConditionModel.CountParameters(unet), UNet2DConditionModel.CountParameters(unet) * (double)bytes,
                fit?.Bytes(s.Batch, latent, latent), Probe(fit, $"{latent}x{latent} latent")));
        }
        if (vae is not null)
        {
            var fit = MemoryProbe.VaeDecode(vae, dtype);
            var images = Math.Max(1, s.Batch / 2);
            rows.Add(new("vae", "vae", AutoencoderKL.CountParameters(vae), AutoencoderKL.CountParameters(vae) * (double)bytes,
                fit?.Bytes(images, s.Size, s.Size), Probe(fit, $"decode of {images} image(s) of {s.Size}x{s.Size}")));
        }
        return Format(title, dtype, bytes, s, rows);
    }

    private static string Probe(MemoryProbe.Fit? fit, string at) => fit is null
        ? "not measured (needs /proc and channels divisible by 32)"
        : string.Create(CultureInfo.InvariantCulture, $"measured on a probe {fit.Probe}: {fit.BytesPerPixel:F0} B per pixel per row, times k = {fit.Scale}; size scaling {fit.LinearityRatio:F2} (1 = linear); at {at}");

    /// <summary>Bytes an encode of one prompt holds at its peak (batch 1), by formula.</summary>
    private static double MllmActivations(MllmArchitecture a, PlanShape s, int bytes)
    {
        var l = a.Llm;
        var t = (double)s.Tokens + s.Images * (a.QFormer is null ? a.Vision.NumPatches + 1 : a.Encoder.NumQueryTokens);
        var kept = (l.NumHiddenLayers + 1) * t * l.HiddenSize * bytes;
        var layer = 4 * t * l.HiddenSize * bytes + 2 * l.NumAttentionHeads * t * t * 4 + 3 * t * l.IntermediateSize * bytes;
        var v = a.Vision;
        var n = (double)v.NumPatches + 1;
        var vision = s.Images * (v.NumHiddenLayers + 1) * n * v.HiddenSize * bytes + 2 * v.NumAttentionHeads * n * n * 4 + 2 * n * v.IntermediateSize * bytes;
        return kept + Math.Max(layer, vision);
    }

    private static (UNet2DConditionConfig? UNet, AutoencoderKLConfig? Vae, MllmArchitecture? Mllm, string Title) Components(string nameOrDir)
    {
        switch (nameOrDir.ToLowerInvariant())
        {
            case "paper":
                return (DiffusionConfigs.PaperUNet, DiffusionConfigs.Sd15Vae, MllmConfigs.Paper, "paper (the paper's U-Net and MLLM; Stable Diffusion's VAE)");
            case "sd15":
                return (DiffusionConfigs.Sd15UNet, DiffusionConfigs.Sd15Vae, null, "sd15 (U-Net and VAE; its CLIP text encoder is not counted)");
        }
        if (MllmConfigs.Named.TryGetValue(nameOrDir, out var named)) return (null, null, named, nameOrDir);
        if (!Directory.Exists(nameOrDir)) throw new UsageException($"no memory plan for '{nameOrDir}': give paper, sd15, an MLLM name ({string.Join(", ", MllmConfigs.Named.Keys)}) or a model folder");
        var folder = ModelFolder.Open(nameOrDir);
        var mllm = Directory.Exists(folder.MllmFolderPath) ? MllmFolder.ReadArchitecture(folder.MllmFolderPath) : null;
        return (folder.UNet, folder.Vae, mllm, $"{folder.Id} ({folder.Path})");
    }

    private static string Format(string title, ScalarType dtype, int bytes, PlanShape s, List<Row> rows)
    {
        static string Gb(double b) => (b / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " GB";
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"memory plan: {title}");
        w.WriteLine($"  {ModelPlacement.Name(dtype)} ({bytes} bytes a weight); batch {s.Batch} U-Net rows (guidance doubles an image), {s.Size}x{s.Size} images, prompt {s.Tokens} tokens + {s.Images} image(s)");
        w.WriteLine($"  {"service",-9} {"component",-24} {"parameters",15} {"weights",10} {"activations",12} {"total",10}");
        foreach (var r in rows)
            w.WriteLine($"  {r.Service,-9} {r.Component,-24} {r.Parameters,15:N0} {Gb(r.Weights),10} {(r.Activations is { } a ? Gb(a) : "?"),12} {Gb(r.Weights + (r.Activations ?? 0)),10}");
        w.WriteLine($"  weights in all: {Gb(rows.Sum(r => r.Weights))}");
        foreach (var r in rows) w.WriteLine($"  {r.Service}: activations {r.How}");
        return w.ToString();
    }
}
