using UnimoG.Data.Config;
using UnimoG.Modeling.Pipelines;
using UnimoG.Services.Tests.Support;
using UnimoG.TestSupport;

namespace UnimoG.Services.Tests;

/// <summary>Model folders: the committed default model, a tokenizer that does not fit, and missing pieces named.</summary>
public sealed class ModelFolderTests
{
    [Fact]
    public void The_committed_default_model_loads_within_the_budget()
    {
        // The trained mini model (committed on every clone): our own tokenizer inside, F16 weights, NOTICE and licence,
        // a model card, <= 30 MB.
        var committed = Path.Combine(RepoPaths.Root, "models", "unimog-mini");
        var folder = ModelFolder.Open(committed);
        Assert.False(folder.Untrained, "models/unimog-mini is the trained model; it carries no UNTRAINED marker");
        var bytes = Directory.EnumerateFiles(committed, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
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
