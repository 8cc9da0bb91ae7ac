using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace UnimoG.Engines.DataPrep.Onnx;

/// <summary>Where ONNX models run and with how many threads.</summary>
public sealed record OnnxOptions
{
    /// <summary><c>cpu</c> or <c>cuda</c>. Default: <c>cuda</c> when built with <c>-p:TorchBackend=cuda</c>, else <c>cpu</c>.</summary>
    public string Device { get; init; } = OnnxSessions.GpuBuild ? "cuda" : "cpu";

    public int CudaDeviceId { get; init; }

    /// <summary>Threads inside one operator. One gives steadier latency on small shared machines.</summary>
    public int IntraOpThreads { get; init; } = 1;
}

/// <summary>
/// Creates inference sessions once (they are thread-safe for <c>Run</c>) and checks that a model has the inputs and
/// outputs the pipeline feeds and reads, failing with a message that names the file and the tensor.
/// </summary>
public static class OnnxSessions
{
#if ORT_GPU
    public const bool GpuBuild = true;
#else
    public const bool GpuBuild = false;
#endif

    public static InferenceSession Create(string path, OnnxOptions options, ILogger? logger = null)
    {
        logger ??= NullLogger.Instance;
        if (!File.Exists(path))
            throw new FileNotFoundException($"ONNX model not found: {path}", path);
        var device = options.Device.ToLowerInvariant();
        if (device is not ("cpu" or "cuda"))
            throw new ArgumentException($"device must be cpu or cuda, not '{options.Device}'");
        if (device == "cuda")
        {
            var gpu = CpuOptions(options);
            try
            {
                // Fails here when the native library lacks CUDA or cannot load its libraries (no GPU, no CUDA 13).
                gpu.AppendExecutionProvider_CUDA(options.CudaDeviceId);
                return new InferenceSession(path, gpu);
            }
            catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                // A broken model fails again on the CPU below and is reported there.
                logger.LogWarning("CUDA execution provider unavailable for {Model} ({Reason}); running on the CPU",
                    Path.GetFileName(path), e.Message.Split('\n')[0]);
            }
            finally
            {
                gpu.Dispose();
            }
        }
        return Open(path, CpuOptions(options));
    }

    private static SessionOptions CpuOptions(OnnxOptions options) => new()
    {
        IntraOpNumThreads = Math.Max(1, options.IntraOpThreads),
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        // Exports often carry unused initializers; ORT's warnings about them are noise on every start.
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
    };

    private static InferenceSession Open(string path, SessionOptions options)
    {
        try
        {
            return new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{path}: not a loadable ONNX model ({e.Message.Split('\n')[0]})", e);
        }
        finally
        {
            options.Dispose();
        }
    }

    /// <summary>Checks that <paramref name="name"/> is an input with one of the element types; returns its type.</summary>
    public static Type RequireInput(InferenceSession session, string model, string name, params Type[] types)
    {
        if (!session.InputMetadata.TryGetValue(name, out var meta))
            throw new InvalidDataException(
                $"{model}: the model has no input '{name}' (it has: {string.Join(", ", session.InputMetadata.Keys)})");
        if (!types.Contains(meta.ElementType))
            throw new InvalidDataException(
                $"{model}: input '{name}' is {meta.ElementType.Name}, expected {string.Join(" or ", types.Select(t => t.Name))}");
        return meta.ElementType;
    }

    public static void RequireOutput(InferenceSession session, string model, string name)
    {
        if (!session.OutputMetadata.ContainsKey(name))
            throw new InvalidDataException(
                $"{model}: the model has no output '{name}' (it has: {string.Join(", ", session.OutputMetadata.Keys)})");
    }
}
