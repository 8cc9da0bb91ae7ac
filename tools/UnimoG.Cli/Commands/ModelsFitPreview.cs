using System.CommandLine;
using UnimoG.Modeling.Diffusion;
using UnimoG.Imaging;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Pipelines;
using UnimoG.Modeling.Sampling;
using static TorchSharp.torch;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog models fit-preview --model DIR [--images DIR]</c>: least-squares latent-to-RGB preview factors for the
/// folder's VAE, written to DIR/preview.json.
/// </summary>
internal static class ModelsFitPreview
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "the model folder (its vae/ is used; preview.json is written there)", Required = true };
        var images = new Option<string?>("--images") { Description = "folder of sample images (PNG/JPEG/WebP); default: synthetic shapes" };
        var count = new Option<int>("--count") { Description = "most sample images used", DefaultValueFactory = _ => 256 };
        var seed = new Option<long>("--seed") { Description = "seed of the synthetic shapes", DefaultValueFactory = _ => 0 };
        var command = new Command("fit-preview", "Fit a model's linear latent-to-RGB preview factors from sample images (least squares) into preview.json.") { model, images, count, seed };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(model)!;
            var folder = ModelFolder.Open(dir);
            using var vae = AutoencoderKL.FromPretrained(folder.VaeFolder);
            var size = (folder.DefaultHeight, folder.DefaultWidth);
            var n = parse.GetValue(count);
            var source = parse.GetValue(images);
            using var batch = source is null ? SampleImages.Shapes(n, folder.DefaultWidth, parse.GetValue(seed)) : Load(source, n, size);
            var description = source is null
                ? $"least squares on {batch.shape[0]} synthetic shape images (seed {parse.GetValue(seed)}) through this folder's VAE"
                : $"least squares on {batch.shape[0]} images from {source} through this folder's VAE";
            var preview = PreviewFitting.FitFromVae(vae, batch, description);
            var path = preview.Save(folder.Path);
            var factors = LatentPreviewFactors.From(preview, path);
            Console.Out.WriteLine($"wrote {path}: rmse {preview.FitRmse:0.0000} (images in [-1, 1]) over {batch.shape[0]} images");
            Console.Out.WriteLine($"factors (rows = latent channels, columns = R G B): {factors}; bias {string.Join(" ", factors.Bias.Select(b => b.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)))}");
            if (folder.Untrained)
                Console.Error.WriteLine($"unimog: warning: {folder.UntrainedWarning}; factors fitted to its random VAE preview nothing meaningful.");
            return 0;
        });
        return command;
    }

    /// <summary>Images from a folder, resized (centre crop, bicubic as Pillow) to the model's size: [N, 3, H, W] in [-1, 1].</summary>
    private static Tensor Load(string dir, int max, (int Height, int Width) size)
    {
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"--images: no such folder: {dir}");
        var files = Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)
            || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".webp", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).Take(max).ToList();
        if (files.Count == 0) throw new UsageException($"--images: {dir} holds no PNG, JPEG or WebP file");
        var processor = new ClipImageProcessor(new ClipImageProcessorConfig
        {
            Size = new() { ShortestEdge = Math.Min(size.Height, size.Width) }, CropSize = new() { Height = size.Height, Width = size.Width },
            ImageMean = 0.5f, ImageStd = 0.5f, // -> [-1, 1]
        });
        var decoded = files.Select(f =>
        {
            try { return ImageDecoder.Decode(File.ReadAllBytes(f)); }
            catch (ImageDecodeException e) { throw new UsageException($"{f}: {e.Message}"); }
        }).ToList();
        return processor.PixelValues(decoded);
    }
}
