using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using UnimoG.Engines.DataPrep.Onnx;

namespace UnimoG.DataPrep.Tests;

public class OnnxSessionTests
{
    private sealed class ListLogger : ILogger
    {
        public List<string> Warnings { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format)
        {
            if (level >= LogLevel.Warning) Warnings.Add(format(state, e));
        }
    }

    [Fact]
    public void CUDA_request_without_a_usable_GPU_falls_back_to_the_CPU_with_a_warning()
    {
        var logger = new ListLogger();
        using var session = OnnxSessions.Create(TestData.SamEncoder, new OnnxOptions { Device = "cuda" }, logger);
        Assert.Contains("image", session.InputMetadata.Keys);
        // On a machine where CUDA does load (GPU build, GPU present) there is nothing to warn about.
        var cudaUsable = logger.Warnings.Count == 0;
        if (!cudaUsable)
            Assert.Contains(logger.Warnings, w => w.Contains("CUDA execution provider unavailable") && w.Contains("tiny_sam_encoder.onnx"));
        else
            Assert.Contains("CUDAExecutionProvider", OrtEnv.Instance().GetAvailableProviders());
    }

    [Fact]
    public void Missing_or_broken_models_are_reported_by_path()
    {
        Assert.Throws<FileNotFoundException>(() => OnnxSessions.Create("/nonexistent/model.onnx", new OnnxOptions()));
        using var tmp = new TestData.TempDir();
        File.WriteAllBytes(tmp.Sub("broken.onnx"), [1, 2, 3, 4]);
        var e = Assert.Throws<InvalidDataException>(() => OnnxSessions.Create(tmp.Sub("broken.onnx"), new OnnxOptions()));
        Assert.Contains("broken.onnx", e.Message);
        Assert.Throws<ArgumentException>(() => OnnxSessions.Create(TestData.SamEncoder, new OnnxOptions { Device = "tpu" }));
    }
}
