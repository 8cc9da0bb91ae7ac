using UnimoG.EmojiWorld;
using UnimoG.EmojiWorld.Tests;
using UnimoG.Imaging;
using UnimoG.Mini.Bench;
using UnimoG.Mini.Tests.Support;

namespace UnimoG.Mini.Tests;

public class PlotAndGridTests
{
    [Fact]
    public void Training_logs_are_read_from_JSON_JSON_lines_and_text()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp["stage2"]);
        File.WriteAllText(Path.Combine(temp["stage2"], "train-log.json"),
            """{"steps":100,"seconds":12.5,"log":[{"loss":0.5,"mse":0.4,"step":50,"seconds":6,"cpu_seconds":11},{"loss":0.25,"mse":0.2,"step":100,"seconds":12.5,"cpu_seconds":23}]}""");
        var json = TrainingLogs.Read(Path.Combine(temp["stage2"], "train-log.json"));
        Assert.Equal("stage2", json.Name);
        Assert.Equal(["loss", "mse"], json.Metrics);
        Assert.Equal((100.0, 0.25), (json.Entries[1]["step"], json.Entries[1]["loss"]));

        File.WriteAllText(temp["metrics.jsonl"], "{\"step\": 1, \"loss\": 2.0}\n{\"step\": 2, \"loss\": 1.5, \"note\": \"x\"}\n");
        var lines = TrainingLogs.Read(temp["metrics.jsonl"]);
        Assert.Equal([2.0, 1.5], lines.Entries.Select(e => e["loss"]));

        File.WriteAllText(temp["train.log"], """
            [21:38:06] dino-like (SimCLR): 706,352 parameters (+ projection head), 1200 steps
            [21:38:31] resumed at step 835 (1804 s trained so far)
            [21:39:12] step 850/1200 loss 1.94024 (2.738 s/step, 30.7 min, cpu 8.9 min)
            """);
        var text = TrainingLogs.Read(temp["train.log"]);
        Assert.Equal(new Dictionary<string, double> { ["step"] = 850, ["loss"] = 1.94024 }, Assert.Single(text.Entries));
        File.WriteAllText(temp["trainer.log"], "info: step 500/12000 [expansion] loss 0.1123 mse 0.1101 attn 0.2204 lr 0.0001 11.9 samples/s\n");
        Assert.Equal(new Dictionary<string, double> { ["step"] = 500, ["loss"] = 0.1123, ["mse"] = 0.1101, ["attn"] = 0.2204, ["lr"] = 0.0001 },
            Assert.Single(TrainingLogs.Read(temp["trainer.log"]).Entries));

        // A run stopped after step 300 and resumed from its step-200 checkpoint: the resumed run's entries count.
        File.WriteAllText(temp["resumed.log"], "step 100/400 loss 4\nstep 200/400 loss 3\nstep 300/400 loss 2.5\nresumed at step 200\nstep 300/400 loss 2\nstep 400/400 loss 1\n");
        var resumed = TrainingLogs.Read(temp["resumed.log"]);
        Assert.Equal([100.0, 200, 300, 400], resumed.Entries.Select(e => e["step"]));
        Assert.Equal([4.0, 3, 2, 1], resumed.Entries.Select(e => e["loss"]));

        File.WriteAllText(temp["empty.log"], "nothing here\n");
        Assert.Contains("empty.log", Assert.Throws<InvalidDataException>(() => TrainingLogs.Read(temp["empty.log"])).Message);
        File.WriteAllText(temp["object.json"], "{\"steps\": 3}");
        Assert.Contains("'log'", Assert.Throws<InvalidDataException>(() => TrainingLogs.Read(temp["object.json"])).Message);
    }

    [Fact]
    public void Smoothing_is_a_trailing_moving_mean()
    {
        var s = LinePlot.MovingMean([(1, 1.0), (2, 3.0), (3, 5.0), (4, 7.0)], 2);
        Assert.Equal([1.0, 2.0, 4.0, 6.0], s.Select(p => p.Y));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], s.Select(p => p.X));
        Assert.Equal([1.0, 2.0, 3.0, 4.0], LinePlot.MovingMean([(1, 1.0), (2, 3.0), (3, 5.0), (4, 7.0)], 25).Select(p => p.Y)); // running mean while short
    }

    [Fact]
    public void A_checkpoint_state_is_named_after_its_run_and_one_line_JSON_lines_read()
    {
        using var temp = new TempFolder();
        var step = Path.Combine(temp["vae"], "checkpoints", "step-00000200");
        Directory.CreateDirectory(step);
        File.WriteAllText(Path.Combine(step, "state.json"), """{"step":200,"log":[{"step":200,"l1":0.05}]}""");
        var log = TrainingLogs.Read(Path.Combine(step, "state.json"));
        Assert.Equal(("vae", 0.05), (log.Name, log.Entries[0]["l1"]));
        File.WriteAllText(temp["one.jsonl"], "{\"step\": 1, \"mse\": 0.5}\n");
        Assert.Equal(0.5, Assert.Single(TrainingLogs.Read(temp["one.jsonl"]).Entries)["mse"]);
    }

    [Fact]
    public void Ticks_are_nice_numbers_covering_the_range()
    {
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], LinePlot.Ticks(0, 1, 5).Select(t => Math.Round(t, 12)));
        Assert.Equal([0, 2000, 4000, 6000, 8000, 10000, 12000], LinePlot.Ticks(0, 12000, 6));
        Assert.Equal([0.1, 0.15, 0.2, 0.25, 0.3], LinePlot.Ticks(0.11, 0.29, 4).Select(t => Math.Round(t, 12)));
    }

    [Fact]
    public void A_plot_draws_each_series_in_its_colour()
    {
        var png = LinePlot.Render(
            [new PlotSeries("a", [(0, 1.0), (10, 0.5), (20, 0.25)]), new PlotSeries("b", [(0, 0.8), (20, 0.9)])],
            new PlotOptions { Title = "loss", Width = 400, Height = 300 });
        var image = ImageDecoder.Decode(png);
        Assert.Equal((400, 300), (image.Width, image.Height));
        Assert.True(Count(image, (31, 119, 180)) > 50, "the first series' blue line is missing");
        Assert.True(Count(image, (255, 127, 14)) > 50, "the second series' orange line is missing");
        Assert.Throws<ArgumentException>(() => LinePlot.Render([new PlotSeries("c", [(0, -1.0)])], new PlotOptions { LogY = true }));
    }

    [Fact]
    public void A_grid_puts_references_and_each_models_images_in_their_cells()
    {
        using var synthetic = new SyntheticArt();
        using var art = synthetic.Open();
        var prompts = EmojiBenchPrompts.Generate(EmojiCatalog.Default, EmojiBenchSubset.Seen, 2);
        var subjects = new SubjectImages(art);
        byte[] Flat(byte r, byte g, byte b) => Enumerable.Range(0, 64 * 64).SelectMany(_ => new[] { r, g, b }).ToArray();
        // Two models, two images each: model 0 draws red then green, model 1 blue then black.
        var images = new List<IReadOnlyList<byte[]>[]>
        {
            prompts.Select(_ => (IReadOnlyList<byte[]>)[Flat(255, 0, 0), Flat(0, 255, 0)]).ToArray(),
            prompts.Select(_ => (IReadOnlyList<byte[]>)[Flat(0, 0, 255), Flat(0, 0, 0)]).ToArray(),
        };
        const int tile = 32;
        var grid = ImageDecoder.Decode(EmojiBenchGrid.Draw(prompts, subjects, ["full", "w/o Tuning"], images, tile, 2));
        // Layout constants of Draw: margin 8, gap 16, header 24, caption row 18 + 6, three reference tiles 2 px apart.
        const int margin = 8, gap = 16, header = 24, row = tile + 24;
        int x0 = margin + 3 * tile + 4 + gap, group = 2 * tile + 2;
        Assert.Equal(x0 + 2 * (group + gap) - gap + margin, grid.Width);
        Assert.Equal(header + 2 * row + margin, grid.Height);
        (byte, byte, byte) At(int x, int y) { var i = (y * grid.Width + x) * 4; return (grid.Rgba[i], grid.Rgba[i + 1], grid.Rgba[i + 2]); }
        for (var p = 0; p < 2; p++)
        {
            var cy = header + p * row + tile / 2;
            Assert.Equal((255, 0, 0), At(x0 + 3, cy));
            Assert.Equal((0, 255, 0), At(x0 + tile + 2 + 3, cy));
            Assert.Equal((0, 0, 255), At(x0 + group + gap + 3, cy));
            Assert.Equal((0, 0, 0), At(x0 + group + gap + tile + 2 + 3, cy));
            // The first reference tile is the subject's sprite on white: its flat colour is at the sprite's centre.
            var centre = subjects.Rgb(prompts[p].Entities[0].Hex);
            var k = (32 * 64 + 32) * 3;
            var px = At(margin + tile / 2, cy);
            Assert.Equal((centre[k], centre[k + 1], centre[k + 2]), px);
        }
    }

    private static int Count(DecodedImage image, (byte R, byte G, byte B) c)
    {
        var n = 0;
        for (var i = 0; i < image.Rgba.Length; i += 4)
            if (Math.Abs(image.Rgba[i] - c.R) <= 2 && Math.Abs(image.Rgba[i + 1] - c.G) <= 2 && Math.Abs(image.Rgba[i + 2] - c.B) <= 2) n++;
        return n;
    }
}
