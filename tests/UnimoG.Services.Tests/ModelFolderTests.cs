using UnimoG.Engines.Inference;
using UnimoG.Data.Config;
using System.Security.Cryptography;
using UnimoG.Modeling.Pipelines;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;

namespace UnimoG.Services.Tests;

/// <summary>The untrained mini model generator, the committed default model, and model folder errors.</summary>
public sealed class ModelFolderTests
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
        // `unimog models init-mini` stays for tests and fresh setups; checked in a temporary folder (the committed
        // models/unimog-mini is the trained model once `unimog recipe mini` has shipped it).
        var fresh = Directory.CreateTempSubdirectory("unimog-mini-seed0").FullName;
        PlaceholderModel.Create(fresh, seed: 0);
        var placeholder = ModelFolder.Open(fresh);
        Assert.True(placeholder.Untrained);
        Assert.False(File.Exists(Path.Combine(fresh, "mllm", "tokenizer", "tokenizer.model")));
        var committed = Path.Combine(RepoPaths.Root, "models", "unimog-mini");
        if (ModelFolder.Open(committed).Untrained)
            Assert.Equal(Hashes(fresh), Hashes(committed));   // before the trained model lands, the placeholder is exactly this
    }

    [Fact]
    public void The_committed_default_model_loads_within_the_budget()
    {
        var committed = Path.Combine(RepoPaths.Root, "models", "unimog-mini");
        var folder = ModelFolder.Open(committed);
        var bytes = Directory.EnumerateFiles(committed, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        if (folder.Untrained)
        {
            // The placeholder references LLaMA-2's tokenizer beside the checkout.
            Assert.Equal(Path.GetFullPath(TestModel.Tokenizer), Path.GetFullPath(folder.LlamaTokenizerPath()));
            return;
        }
        // The trained mini model: our own tokenizer inside, F16 weights, NOTICE and licence, a model card, <= 30 MB.
        Assert.True(bytes <= 30_000_000, $"models/unimog-mini is {bytes:N0} bytes, over the 30 MB budget");
        Assert.Equal(Path.GetFullPath(Path.Combine(committed, "mllm", "tokenizer", "tokenizer.model")), Path.GetFullPath(folder.LlamaTokenizerPath()));
        Assert.Equal((EncoderKind.Mllm, 4, 64, 64, 256), (folder.Encoder, folder.VaeScaleFactor, folder.DefaultWidth, folder.DefaultHeight, folder.CrossAttentionDim));
        foreach (var file in new[] { "NOTICE", "LICENSE-Apache-2.0", "README.md", "preview.json", "unet/NOTICE" })
            Assert.True(File.Exists(Path.Combine(committed, file)), $"models/unimog-mini/{file} is missing");
        foreach (var weights in Directory.EnumerateFiles(committed, "*.safetensors", SearchOption.AllDirectories))
        {
            var header = UnimoG.Modeling.Checkpoints.SafetensorsFile.Open(weights);
            Assert.All(header.Entries.Values, t => Assert.Equal("F16", t.DType));
        }
    }

    /// <summary>Deployment files once pointed Model:TokenizerPath at LLaMA-2's tokenizer for a 2,048-piece model.</summary>
    [Fact]
    public void Another_models_tokenizer_is_refused_at_load()
    {
        var committed = ModelFolder.Open(Path.Combine(RepoPaths.Root, "models", "unimog-mini"));
        var options = new UnimoG.Engines.Inference.EncoderOptions();
        var e = Assert.Throws<ModelFolderException>(() => UnimoG.Engines.Inference.EncoderEngine.Load(committed, options, new UnimoG.Engines.Inference.ModelOptions { TokenizerPath = TestModel.Tokenizer }));
        Assert.Contains("has 32000 pieces, but the LLM of", e.Message);
        Assert.Contains("has a vocabulary of 2048", e.Message);
        Assert.Contains("Model:TokenizerPath overrides the folder's own; unset it", e.Message);
    }

    [Fact]
    public void Missing_pieces_are_named()
    {
        var e = Assert.Throws<ModelFolderException>(() => ModelFolder.Open("/nonexistent/m"));
        Assert.Contains("model folder not found: /nonexistent/m", e.Message);
        var dir = Directory.CreateTempSubdirectory("unimog-broken").FullName;
        Assert.Contains("model_index.json is missing", Assert.Throws<ModelFolderException>(() => ModelFolder.Open(dir)).Message);
        File.WriteAllText(Path.Combine(dir, "model_index.json"), "{}");
        Assert.Contains("is missing unet/config.json", Assert.Throws<ModelFolderException>(() => ModelFolder.Open(dir)).Message);

        var copy = Directory.CreateTempSubdirectory("unimog-tok").FullName;
        foreach (var f in Directory.EnumerateFiles(TestModel.Folder, "*.json", SearchOption.AllDirectories).Concat(Directory.EnumerateFiles(TestModel.Folder, "UNTRAINED")))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(TestModel.Folder, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        var folder = ModelFolder.Open(copy);
        var wrong = Path.Combine(RepoPaths.Shared, "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz");
        File.WriteAllText(Path.Combine(copy, "mllm", "tokenizer", ModelFolder.TokenizerRefFile),
            $$"""{"path": "{{Path.GetRelativePath(copy, wrong)}}", "sha256": "9e556afd44213b6bd1be2b850ebbbd98f5481437a8021afaf58ee7fb1818d347"}""");
        Assert.Contains("differs from 9e556afd", Assert.Throws<ModelFolderException>(() => folder.LlamaTokenizerPath()).Message);
        Assert.Contains("Model:TokenizerPath names no file", Assert.Throws<ModelFolderException>(() => folder.LlamaTokenizerPath("/no/such/tokenizer.model")).Message);
    }
}
