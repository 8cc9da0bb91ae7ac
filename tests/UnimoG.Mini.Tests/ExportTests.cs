using TorchSharp;
using UnimoG.Mini.Evaluators;
using UnimoG.Mini.Mllm;
using UnimoG.Mini.Tests.Support;
using UnimoG.Mini.Training;
using UnimoG.Modeling.Checkpoints;
using UnimoG.Modeling.Encoders;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Mini.Tests;

public class ExportTests
{
    private static LlamaSentencePieceTokenizer Tokenizer => TextTokenizers.LoadLlama(Path.Combine(RepoPaths.Root, "tests", "data", "mini-tokenizer", "tokenizer.model"));

    [Fact]
    public void The_exported_MLLM_encodes_a_prompt_as_the_training_batches_lay_it_out()
    {
        // The pre-training splices visual tokens into token embeddings itself (MllmBatch); the shipped encoder
        // (MllmEncoder) tokenises prompts segment by segment. Both must give the LLM the same sequence, or the U-Net
        // would be conditioned on inputs the MLLM never saw. Weights are rounded to F16 as the export stores them.
        var tokenizer = Tokenizer;
        using var model = new MiniMllm(MiniConfigs.Mllm(), StepRandom.Torch(0, "test", 0));
        using (torch.no_grad()) foreach (var p in model.parameters()) p.copy_(p.to_type(ScalarType.Float16).to_type(ScalarType.Float32));
        using var temp = new TempFolder();
        MllmTrainer.Export(model, Path.Combine(RepoPaths.Root, "tests", "data", "mini-tokenizer", "tokenizer.model"), temp["mllm"]);
        var encoder = MllmFolder.Load(temp["mllm"], tokenizer.ForMllm());
        Assert.True(File.Exists(temp["mllm/tokenizer/tokenizer.model"]));
        Assert.True(File.Exists(temp["mllm/preprocessor_config.json"]));
        Assert.True(File.Exists(temp["mllm/NOTICE"]));

        var g = new Generator(3);
        var dog = (torch.rand([3, 64, 64], generator: g) * 255).to_type(ScalarType.Byte);
        var hat = (torch.rand([3, 64, 64], generator: g) * 255).to_type(ScalarType.Byte);
        byte[] Rgb(Tensor t) => t.permute(1, 2, 0).contiguous().data<byte>().ToArray();
        var sample = new MllmSample("interleaved",
        [
            new TextPart(tokenizer.Encode("a <Img>", addBos: false), true), new ImagePart(0),
            new TextPart(tokenizer.Encode("</Img> wearing <Img>", addBos: false), true), new ImagePart(1),
            new TextPart(tokenizer.Encode("</Img> is eating pizza", addBos: false), true),
        ], [Rgb(dog), Rgb(hat)], null, []);
        using var batch = MllmBatch.Collate([sample], model.TokensPerImage, tokenizer.BosId);
        Tensor expected;
        using (torch.no_grad())
        {
            model.eval();
            var visual = model.VisualTokens(batch.Pixels);
            using var o = model.llm.model.forward(inputsEmbeds: MiniMllm.Embeds(model.llm, batch, visual));
            expected = o.LastHiddenState.clone();
        }

        var pixels = Data.Images.ClipPixels(torch.stack([dog, hat]));
        var cond = encoder.Encode([new MllmText("a "), new MllmImage(pixels[0], "dog"), new MllmText(" wearing "), new MllmImage(pixels[1], "hat"), new MllmText(" is eating pizza")]);
        TensorAssert.Close(expected, cond.HiddenStates, rtol: 0, atol: 1e-4, what: "hidden states");
        var spans = cond.Spans[0];
        Assert.Equal(batch.VisualPositions.data<long>().Select(p => (int)p).ToArray(),
            spans.SelectMany(s => Enumerable.Range(s.Start, s.End - s.Start)).ToArray());
    }

    [Fact]
    public void Evaluators_round_trip_through_their_folder_and_load_strictly()
    {
        var tokenizer = Tokenizer;
        var labels = UnimoG.EmojiWorld.EmojiCatalog.Default.Entities.Select(e => e.Hex).ToArray();
        var image = new ConvEncoderConfig { Channels = [8, 8], EmbedDim = 16, NormGroups = 4 };
        var text = new TextEncoderConfig { HiddenSize = 16, Heads = 2, IntermediateSize = 32, Layers = 1, EmbedDim = 16 };
        var manifest = new EvaluatorManifest { Dino = image, ClipImage = image, ClipText = text, Classifier = image with { EmbedDim = labels.Length }, Labels = labels };
        using var set = new EvaluatorSet(manifest, new ConvEncoder(image), new ClipEvaluator(image, text), new ConvEncoder(manifest.Classifier), tokenizer);
        using var temp = new TempFolder();
        set.Save(temp.Path, Path.Combine(RepoPaths.Root, "tests", "data", "mini-tokenizer", "tokenizer.model"));
        using var loaded = EvaluatorSet.Load(temp.Path);
        var g = new Generator(5);
        using var images = (torch.rand([2, 3, 64, 64], generator: g) * 255).to_type(ScalarType.Byte);
        // Stored as F16: the loaded networks compute what the originals do up to F16 rounding of the weights.
        TensorAssert.Close(set.DinoFeatures(images), loaded.DinoFeatures(images), rtol: 0, atol: 2e-2, what: "DINO features");
        TensorAssert.Close(set.ClipTextFeatures(["a dog"]), loaded.ClipTextFeatures(["a dog"]), rtol: 0, atol: 2e-2, what: "CLIP text features");
        Assert.Equal(new long[] { 2, labels.Length }, loaded.Recognise(images).shape);

        // A renamed tensor fails naming it.
        var path = temp["dino.safetensors"];
        var file = SafetensorsFile.Open(path);
        var tensors = file.Entries.Keys.ToDictionary(k => k == "proj.weight" ? "projection.weight" : k, k => file.Read(k));
        SafetensorsWriter.Save(path, tensors);
        var e = Assert.Throws<CheckpointMismatchException>(() => EvaluatorSet.Load(temp.Path));
        Assert.Contains("proj.weight", e.Message);
        Assert.Contains("projection.weight", e.Message);
    }
}
