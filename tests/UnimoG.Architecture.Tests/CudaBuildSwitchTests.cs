using System.Diagnostics;
using System.Text.Json;

namespace UnimoG.Architecture.Tests;

/// <summary>
/// The CUDA build switch (<c>-p:TorchBackend=cuda</c>, what hosts/Dockerfile's GPU variant passes), checked by MSBuild
/// evaluation: the CUDA packages are not served here, so nothing is restored or built with them. What this cannot
/// catch: whether TorchSharp-cuda-linux 0.107 restores and runs (no package, no GPU on this machine).
/// </summary>
public sealed class CudaBuildSwitchTests
{
    private static (int ExitCode, string Output) MSBuild(string project, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        foreach (var a in new[] { "msbuild", Path.Combine(Repository.Root, project), "-nologo" }.Concat(args)) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string[] PackageReferences(string project, string backend)
    {
        var (code, output) = MSBuild(project, "-getItem:PackageReference", $"-p:TorchBackend={backend}");
        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        return json.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray()
            .Select(i => i.GetProperty("Identity").GetString()!).ToArray();
    }

    [Theory]
    [InlineData("core/UnimoG.Modeling/UnimoG.Modeling.csproj", "TorchSharp-cpu", "TorchSharp-cuda-linux")]
    [InlineData("clients/UnimoG.Client.Torch/UnimoG.Client.Torch.csproj", "TorchSharp-cpu", "TorchSharp-cuda-linux")]
    [InlineData("engines/UnimoG.Engines.DataPrep/UnimoG.Engines.DataPrep.csproj", "Microsoft.ML.OnnxRuntime", "Microsoft.ML.OnnxRuntime.Gpu.Linux")]
    public void Each_backend_references_only_its_own_native_package(string project, string cpu, string cuda)
    {
        var onCpu = PackageReferences(project, "cpu");
        var onCuda = PackageReferences(project, "cuda");
        Assert.Contains(cpu, onCpu);
        Assert.DoesNotContain(cuda, onCpu);
        Assert.Contains(cuda, onCuda);
        Assert.DoesNotContain(cpu, onCuda);   // both would let the CPU native library win
    }

    /// <summary>The CUDA build sends data-parallel gradients through NCCL (docs/training.md, "Distributed training").</summary>
    [Fact]
    public void Only_the_CUDA_build_selects_NCCL_for_the_trainer()
    {
        string Defines(string backend)
        {
            var (code, output) = MSBuild("engines/UnimoG.Engines.Trainer/UnimoG.Engines.Trainer.csproj", "-getProperty:DefineConstants", $"-p:TorchBackend={backend}");
            Assert.True(code == 0, output);
            return output;
        }
        Assert.DoesNotContain("TORCH_CUDA", Defines("cpu"));
        Assert.Contains("TORCH_CUDA", Defines("cuda"));
    }

    [Fact]
    public void The_default_build_is_the_CPU_one()
    {
        var (code, output) = MSBuild("core/UnimoG.Modeling/UnimoG.Modeling.csproj", "-getProperty:TorchBackend");
        Assert.Equal(0, code);
        Assert.Equal("cpu", output.Trim());
    }

    [Fact]
    public void Another_backend_fails_the_build_naming_the_property()
    {
        var (code, output) = MSBuild("core/UnimoG.Modeling/UnimoG.Modeling.csproj", "-t:CollectPackageReferences", "-p:TorchBackend=rocm");
        Assert.NotEqual(0, code);
        Assert.Contains("TorchBackend must be cpu or cuda", output);
        Assert.Contains("'rocm'", output);
    }

    [Fact]
    public void The_Dockerfile_GPU_variant_builds_with_the_switch_and_sets_device_and_dtype()
    {
        var text = File.ReadAllText(Path.Combine(Repository.Root, "hosts", "Dockerfile"));
        Assert.Contains("-p:TorchBackend=${TORCH_BACKEND}", text);
        Assert.Contains("FROM runtime-${TORCH_BACKEND}", text);
        var cuda = Stage(text, "runtime-cuda");
        Assert.Contains("Model__Device=cuda", cuda);
        Assert.Contains("Model__Dtype=bfloat16", cuda);
        var cpu = Stage(text, "runtime-cpu");
        Assert.Contains("Model__Device=cpu", cpu);
        Assert.Contains("Model__Dtype=float32", cpu);
    }

    /// <summary>The Dockerfile text from <c>AS name</c> to the next <c>FROM</c>.</summary>
    private static string Stage(string dockerfile, string name)
    {
        var start = dockerfile.IndexOf($" AS {name}\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no stage {name}");
        var end = dockerfile.IndexOf("\nFROM ", start, StringComparison.Ordinal);
        return end < 0 ? dockerfile[start..] : dockerfile[start..end];
    }
}
