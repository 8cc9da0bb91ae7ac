using TorchSharp;
using static TorchSharp.torch;
using UnimoG.Modeling.Checkpoints;

namespace UnimoG.Modeling.Diffusion;

/// <summary>Where a component lives in a diffusers folder.</summary>
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

    private static bool HasConfig(string dir) =>
        File.Exists(Path.Combine(dir, "config.json")) || File.Exists(Path.Combine(dir, "scheduler_config.json"));
}
