using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>
/// Opening what a configuration key names (a model folder, a cache, a data folder): a missing or unreadable one is
/// reported as <c>train.json: model.vae: model folder not found: ...</c>, so the user knows which line to fix. The
/// exception keeps its type: hosts map missing files to their own status codes (FailedPrecondition).
/// </summary>
public static class ConfigPaths
{
    public static T Open<T>(ConfigLocation at, Func<T> open)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or ModelFolderException or InvalidDataException)
        {
            var message = $"{at.File}: {at.Key}: {e.Message}";
            throw e switch
            {
                FileNotFoundException f => new FileNotFoundException(message, f.FileName, e),
                DirectoryNotFoundException => new DirectoryNotFoundException(message, e),
                ModelFolderException => new ModelFolderException(message, e),
                _ => new InvalidDataException(message, e),
            };
        }
    }
}
