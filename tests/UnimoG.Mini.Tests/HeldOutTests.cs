using UnimoG.EmojiWorld;
using UnimoG.Mini.Data;
using UnimoG.Mini.Mllm;
using UnimoG.Mini.Tests.Support;
using UnimoG.Mini.Vae;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Mini.Tests;

/// <summary>Held-out entities must never reach any generator-training data stream (VAE, MLLM, tokenizer).</summary>
public class HeldOutTests : IClassFixture<HeldOutTests.World>
{
    public sealed class World : IDisposable
    {
        public SyntheticWorld Synthetic { get; } = new();
        public void Dispose() => Synthetic.Dispose();
    }

    private readonly SyntheticWorld _world;

    public HeldOutTests(World world) => _world = world.Synthetic;

    private static LlamaSentencePieceTokenizer Tokenizer => TextTokenizers.LoadLlama(Path.Combine(RepoPaths.Root, "tests", "data", "mini-tokenizer", "tokenizer.model"));

    [Fact]
    public void Generator_data_refuses_bench_and_all_split_shards()
    {
        foreach (var split in new[] { Split.Bench, Split.All })
        {
            var folder = _world.Shards(split, 12);
            try
            {
                var e = Assert.Throws<InvalidDataException>(() => SceneSet.Load(folder, DataUse.Generator));
                Assert.Contains("train split only", e.Message);
                Assert.Equal(12, SceneSet.Load(folder, DataUse.Evaluation).Count);   // evaluation may read it
            }
            finally { Directory.Delete(folder, recursive: true); }
        }
    }

    [Fact]
    public void A_train_record_naming_a_held_out_entity_is_refused()
    {
        var scene = _world.Scene(Split.Train, 0);
        var heldOut = EmojiCatalog.Default.Entities.First(e => e.HeldOut);
        var forged = scene with { Record = scene.Record with { Entities = [scene.Record.Entities[0] with { Hex = heldOut.Hex, HeldOut = false }] } };
        var e = Assert.Throws<InvalidDataException>(() => new SceneSet([forged], "train", DataUse.Generator));
        Assert.Contains(heldOut.NameEn, e.Message);
    }

    [Fact]
    public void VAE_batches_come_from_train_scenes_only()
    {
        var set = _world.Scenes(Split.Train, 40, DataUse.Generator);
        Assert.All(set.Scenes, s => Assert.All(s.Record.Entities, e => Assert.False(EmojiCatalog.Default[e.Hex].HeldOut)));
        var bench = _world.Scenes(Split.Bench, 4, DataUse.Evaluation);
        Assert.Throws<ArgumentException>(() => VaeTrainer.Train(bench, bench, Path.GetTempPath(), new VaeTrainOptions(), new Training.LoopOptions(), _ => { }));
    }

    [Fact]
    public void MLLM_batches_never_show_or_name_a_held_out_entity()
    {
        var tokenizer = Tokenizer;
        var tasks = new MllmTasks(tokenizer, _world.Scenes(Split.Train, 60, DataUse.Generator), _world.Art);
        var heldOutNames = EmojiCatalog.Default.Entities.Where(e => e.HeldOut).SelectMany(e => new[] { e.NameEn, e.NameZh }).ToList();
        var seenTasks = new HashSet<string>();
        for (var step = 0; step < 40; step++)
            foreach (var s in tasks.Batch(seed: 0, step, size: 16))
            {
                seenTasks.Add(s.Task);
                Assert.All(s.Hexes, h => Assert.False(EmojiCatalog.Default[h].HeldOut));
                var text = tokenizer.Decode(s.Parts.OfType<TextPart>().SelectMany(p => p.Ids));
                // Whole-word check: "cat" must not appear as a word, but may be part of "caterpillar".
                var words = text.Split([' ', '，', ','], StringSplitOptions.RemoveEmptyEntries);
                foreach (var name in heldOutNames.Where(n => n.All(char.IsAscii) && !n.Contains(' ')))
                    Assert.DoesNotContain(name, words);
            }
        Assert.Equal(["caption", "interleaved", "lm", "name"], seenTasks.Order());
    }

    [Fact]
    public void MLLM_tasks_refuse_non_generator_scenes() =>
        Assert.Throws<ArgumentException>(() => new MllmTasks(Tokenizer, _world.Scenes(Split.Train, 2, DataUse.Evaluation), _world.Art));

    [SkippableFact]
    public void The_tokenizer_script_refuses_bench_shards()
    {
        Skip.IfNot(TokenizerScript.Available, TokenizerScript.Why);
        var folder = _world.Shards(Split.Bench, 10);
        using var temp = new TempFolder();
        try
        {
            var (code, _, stderr) = TokenizerScript.Run(folder, temp.Path, 300);
            Assert.NotEqual(0, code);
            Assert.Contains("train split only", stderr);
            Assert.False(File.Exists(temp["tokenizer.model"]));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
