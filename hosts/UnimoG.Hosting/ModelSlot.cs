using Microsoft.Extensions.Logging;
using UnimoG.Data.Config;

namespace UnimoG.Hosting;

/// <summary>
/// A model loaded in the background when the host starts (<see cref="BackgroundLoad{T}"/>): gRPC health stays
/// NOT_SERVING until it is loaded; a missing or broken model folder is reported to callers (FailedPrecondition) and
/// health with the folder's own message.
/// </summary>
public sealed class ModelSlot<T>(string gate, Func<T> load, Readiness readiness, ILogger<ModelSlot<T>> log, Func<T, string?>? warning = null)
    : BackgroundLoad<T>(gate, load, readiness, log, warning, e =>
        e is ModelFolderException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException
            ? e.Message : $"the model failed to load: {e.Message}")
    where T : class, IDisposable;
