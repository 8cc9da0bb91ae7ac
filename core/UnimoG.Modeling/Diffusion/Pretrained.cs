using TorchSharp;
using static TorchSharp.torch;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Encoders;

namespace UnimoG.Modeling.Diffusion;

/// <summary>Loading diffusers/transformers components: where they live in a folder, built at a placement, frozen.</summary>
public static class Pretrained
{
    /// <summary>
    /// The component folder for <paramref name="component"/> (<c>unet</c>, <c>vae</c>, <c>scheduler</c>...):
    /// <paramref name="folder"/> itself when it holds a <c>config.json</c> (or <c>scheduler_config.json</c>),
    /// else its <paramref name="component"/> subfolder (a pipeline folder with <c>model_index.json</c>).
    /// </summary>
    public static string ComponentFolder(string folder, string component)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"model folder not found: {folder}");
        if (HasConfig(folder)) return folder;
        var sub = Path.Combine(folder, component);
        if (Directory.Exists(sub) && HasConfig(sub)) return sub;
        var kind = File.Exists(Path.Combine(folder, "model_index.json")) ? "pipeline folder" : "folder";
        throw new FileNotFoundException(
            $"{kind} {folder} has no config.json and no {component}/config.json", Path.Combine(sub, "config.json"));
    }

    /// <summary>
    /// Builds a module at <paramref name="at"/> (default: the thread's <see cref="ModelPlacement.Current"/>) and loads its
    /// weights tensor by tensor, each converted to the parameter's dtype and device as it is copied: the peak is the
    /// model at its placement plus one tensor in the file's dtype, never a float32 copy of the whole model.
    /// </summary>
    public static T Load<T>(Func<T> build, TensorSource source, LoadOptions? options, ModelPlacement? at) where T : nn.Module
    {
        T model;
        using ((at ?? ModelPlacement.Current).Use())
            model = build();
        try
        {
            model.LoadStrict(source, options);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A frozen transformers encoder (CLIP text/vision, Q-Former) from <c>config.json</c> + <c>model.safetensors</c>
    /// (sharded or a variant). <c>position_ids</c> is a non-persistent buffer that older checkpoints still carry.
    /// </summary>
    public static T LoadFrozen<T>(Func<T> build, string folder, string? variant, ModelPlacement? at) where T : nn.Module
    {
        var model = Load(build, TensorSource.ForComponent(folder, variant),
            new LoadOptions { IgnoreUnexpected = n => n.EndsWith("position_ids", StringComparison.Ordinal) }, at);
        Frozen.Freeze(model);
        return model;
    }

    /// <summary>Builds the module on the meta device and counts its parameters: no weight memory is allocated.</summary>
    public static long CountParameters<T>(Func<T> build) where T : nn.Module
    {
        using var meta = new ModelPlacement(torch.META, ScalarType.Float32).Use();
        using var model = build();
        return Layers.ParameterCount(model);
    }

    private static bool HasConfig(string dir) =>
        File.Exists(Path.Combine(dir, "config.json")) || File.Exists(Path.Combine(dir, "scheduler_config.json"));
}
