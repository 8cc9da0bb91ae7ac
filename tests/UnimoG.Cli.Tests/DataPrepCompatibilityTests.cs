using System.Text.Json.Nodes;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>Stage 2 reads what the real data preparation writes (<c>unimog prep</c>), not only our own test shards.</summary>
public class DataPrepCompatibilityTests
{
    [Fact]
    public void Shards_from_unimog_prep_train_stage_two()
    {
        var dir = TinyWorld.TempDir("prep");
        var input = Path.Combine(dir, "in");
        Directory.CreateDirectory(input);
        // two squares per 16x16 scene, their boxes in the metadata (no models needed with --masks box)
        using (var fs = File.Create(Path.Combine(input, "part-000.tar")))
        using (var tar = new System.Formats.Tar.TarWriter(fs, System.Formats.Tar.TarEntryFormat.Ustar))
        {
            void Add(string name, byte[] data) =>
                tar.WriteEntry(new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
            for (var i = 0; i < 6; i++)
            {
                using var img = TorchSharp.torch.zeros(3, 16, 16);
                img[0, 2..8, 1..7] = 1;                  // red square at x 1..7, y 2..8
                img[2, (8 + i % 2)..14, 9..15] = 1;      // blue square
                Add($"k{i}.png", UnimoG.Modeling.Images.Png.Encode(img));
                var caption = "a red square and a blue square";
                Add($"k{i}.txt", System.Text.Encoding.UTF8.GetBytes(caption));
                Add($"k{i}.json", System.Text.Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["entities"] = new JsonArray(
                        new JsonObject { ["phrase"] = "red square", ["start"] = 2, ["end"] = 12, ["box"] = new JsonArray(1, 2, 7, 8) },
                        new JsonObject { ["phrase"] = "blue square", ["start"] = 19, ["end"] = 30, ["box"] = new JsonArray(9, 8 + i % 2, 15, 14) }),
                }.ToJsonString()));
            }
        }
        var prepared = Path.Combine(dir, "prepared");
        var (code, _, err) = Unimog.Run("prep", "--input", input, "--output", prepared, "--entities", "metadata", "--masks", "box",
            "--replace-rate", "1", "--text-only-share", "0");
        Assert.True(code == 0, err);

        var examples = UnimoG.Engines.Trainer.Data.Datasets.Load(new UnimoG.Engines.Trainer.Config.DataSettings { Kind = "prepared", Path = prepared });
        Assert.Equal(6, examples.Count);
        Assert.Equal("a <img1> and a <img2>", examples[0].Describe(false));
        var red = examples[0].Images[0].Mask.Decode();
        Assert.Equal(36f, red.Sum());
        Assert.Equal(1f, red[2 * 16 + 1]);                       // (x 1, y 2) inside the red box
        Assert.Equal(0f, red[2 * 16 + 7]);                       // x 7 is the exclusive end

        var json = JsonNode.Parse(TinyWorld.Instance.Config(Path.Combine(dir, "run"), stage: 2, steps: 2))!.AsObject();
        json["phases"]![0]!["data"]!["path"] = prepared;
        var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
        var attn = new List<double>();
        using (trainer)
        using (trainer.Progress.Subscribe(new ProgressObserver(p => { if (p.AttnLoss is { } a) attn.Add(a); })))
            Assert.Equal(UnimoG.Engines.Trainer.Training.RunState.Completed, trainer.Run(resume: false).State);
        Assert.Equal(2, attn.Count);
    }

    private sealed class ProgressObserver(Action<UnimoG.Engines.Trainer.Training.TrainingProgress> next) : IObserver<UnimoG.Engines.Trainer.Training.TrainingProgress>
    {
        public void OnCompleted() { }
        public void OnError(Exception error) { }
        public void OnNext(UnimoG.Engines.Trainer.Training.TrainingProgress value) => next(value);
    }
}
