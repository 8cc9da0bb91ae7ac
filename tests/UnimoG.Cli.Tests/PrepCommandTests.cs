using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary><c>unimog prep</c>: a run over a small shard, resuming, and the one-line usage errors.</summary>
public class PrepCommandTests
{
    private static readonly string Data = Path.Combine(RepoPaths.Root, "tests", "data", "dataprep");

    private static string WriteShard()
    {
        var dir = Directory.CreateTempSubdirectory("prep-cli-").FullName;
        var dog = File.ReadAllBytes(Path.Combine(RepoPaths.Shared, "benchmarks", "multibench", "living", "dog.jpg"));
        Directory.CreateDirectory(Path.Combine(dir, "in"));
        using var file = File.Create(Path.Combine(dir, "in", "part-000.tar"));
        using var tar = new TarWriter(file, TarEntryFormat.Ustar);
        foreach (var (name, data) in new[]
                 {
                     ("dog.jpg", dog), ("dog.txt", Encoding.UTF8.GetBytes("a dog on the grass")),
                     ("broken.jpg", dog[..1000]), ("broken.txt", Encoding.UTF8.GetBytes("a dog")),
                 })
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        return dir;
    }

    [Fact]
    public void Prepares_a_shard_then_skips_it_when_run_again()
    {
        var dir = WriteShard();
        string[] args =
        [
            "prep", "--input", Path.Combine(dir, "in"), "--output", Path.Combine(dir, "out"), "--entities", "rules-en",
            "--grounding", Path.Combine(Data, "tiny_grounding_dino.onnx"), "--bert-vocab", Path.Combine(Data, "vocab.txt"),
            "--sam-encoder", Path.Combine(Data, "tiny_sam_encoder.onnx"), "--sam-decoder", Path.Combine(Data, "tiny_sam_decoder.onnx"),
        ];
        var (code, _, err) = Unimog.Run(args);
        Assert.True(code == 0, err);
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "out", "part-000.index.json")));
        Assert.Equal("dog", index.RootElement.GetProperty("keys")[0].GetString());
        Assert.Contains("truncated", index.RootElement.GetProperty("errors")[0].GetProperty("reason").GetString());
        var before = File.GetLastWriteTimeUtc(Path.Combine(dir, "out", "part-000.tar"));
        Assert.Equal(0, Unimog.Run(args).ExitCode);
        Assert.Equal(before, File.GetLastWriteTimeUtc(Path.Combine(dir, "out", "part-000.tar")));
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [InlineData("no masks", "choose the masks")]
    [InlineData("--masks sam", "--masks sam needs --sam-encoder")]
    [InlineData("--masks box --grounding x.onnx", "--grounding needs --bert-vocab")]
    [InlineData("--masks box --entities mllm", "needs a generative MLLM")]
    [InlineData("--masks box --replace-rate 1.5", "replace rate must be in [0, 1]")]
    [InlineData("--masks box --sam-encoder a.onnx", "--sam-encoder and --sam-decoder go together")]
    [InlineData("--masks box --grounding missing.onnx --bert-vocab missing.txt", "missing.txt")]
    public void Mistakes_are_one_line_with_exit_code_2(string extra, string message)
    {
        var dir = WriteShard();
        var args = new List<string> { "prep", "--input", Path.Combine(dir, "in"), "--output", Path.Combine(dir, "out") };
        if (extra != "no masks")
            args.AddRange(extra.Split(' '));
        var (code, _, err) = Unimog.Run([.. args]);
        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
        Directory.Delete(dir, recursive: true);
    }
}
