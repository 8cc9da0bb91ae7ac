using UnimoG.Engines.Inference;
using System.Security.Cryptography;
using UnimoG.Modeling.Pipelines;
using UnimoG.Services.Tests.Support;

namespace UnimoG.Services.Tests;

/// <summary>The untrained mini model generator (<c>unimog models init-mini</c>): a pure function of its seed, referencing LLaMA-2's tokenizer.</summary>
public sealed class PlaceholderModelTests
{
    private static Dictionary<string, string> Hashes(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is not (ModelFolder.TokenizerRefFile or "README.md" or "NOTICE"))
            .ToDictionary(f => Path.GetRelativePath(dir, f).Replace('\\', '/'), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Init_mini_is_a_pure_function_of_the_seed()
    {
        var again = Directory.CreateTempSubdirectory("unimog-mini-again").FullName;
        PlaceholderModel.Create(again, seed: 7);
        Assert.Equal(Hashes(TestModel.Folder), Hashes(again));
        var other = Directory.CreateTempSubdirectory("unimog-mini-other").FullName;
        PlaceholderModel.Create(other, seed: 8);
        Assert.NotEqual(Hashes(TestModel.Folder)["unet/diffusion_pytorch_model.safetensors"], Hashes(other)["unet/diffusion_pytorch_model.safetensors"]);
        var folder = ModelFolder.Open(again);
        Assert.True(folder.Untrained);
        Assert.Contains("UNTRAINED", folder.UntrainedWarning);
        Assert.Equal((EncoderKind.Mllm, 4, 64, 64, 8), (folder.Encoder, folder.VaeScaleFactor, folder.DefaultWidth, folder.CrossAttentionDim, folder.MaxPromptImages));
    }

    [Fact]
    public void The_init_mini_placeholder_is_untrained_and_references_the_tokenizer()
    {
        // `unimog models init-mini` stays for tests and fresh setups. LLaMA-2's tokenizer is referenced, not copied: made
        // inside the checkout (the test's output folder), the placeholder finds ../shared beside it and records the path.
        var fresh = Path.Combine(AppContext.BaseDirectory, $"unimog-mini-seed0-{Guid.NewGuid():N}");
        try
        {
            PlaceholderModel.Create(fresh, seed: 0);
            var placeholder = ModelFolder.Open(fresh);
            Assert.True(placeholder.Untrained);
            Assert.False(File.Exists(Path.Combine(fresh, "mllm", "tokenizer", "tokenizer.model")));
            Assert.True(File.Exists(Path.Combine(fresh, "mllm", "tokenizer", ModelFolder.TokenizerRefFile)));
            Assert.Equal(Path.GetFullPath(TestModel.Tokenizer), Path.GetFullPath(placeholder.LlamaTokenizerPath()));
        }
        finally
        {
            if (Directory.Exists(fresh)) Directory.Delete(fresh, recursive: true);
        }
    }
}
