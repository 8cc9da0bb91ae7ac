using System.CommandLine;
using UnimoG.EmojiWorld;

namespace UnimoG.Cli;

/// <summary><c>unimog emojiworld compose</c>: compose scenes into WebDataset tar shards.</summary>
internal static class EmojiWorldComposeCommand
{
    public static Command Create()
    {
        var art = EmojiWorldCommand.ArtOption();
        var split = EmojiWorldCommand.SplitOption();
        var output = new Option<string>("--out") { Description = "Output folder for the shards, manifest and NOTICE.", Required = true };
        var count = new Option<long>("--count") { Description = "Number of scenes.", Required = true };
        var seed = new Option<long>("--seed") { Description = "Run seed (scene i depends only on seed, split and i).", DefaultValueFactory = _ => 0 };
        var start = new Option<long>("--start") { Description = "Index of the first scene (a multiple of --shard-size).", DefaultValueFactory = _ => 0 };
        var shardSize = new Option<int>("--shard-size") { Description = "Scenes per tar shard.", DefaultValueFactory = _ => 1000 };
        var threads = new Option<int>("--threads") { Description = "Scenes composed in parallel.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("compose", "Compose EmojiWorld scenes into WebDataset tar shards (resumable: finished shards are kept).")
        {
            art, split, output, count, seed, start, shardSize, threads,
        };
        command.SetAction((parse, cancel) =>
        {
            var options = new ComposeOptions(
                EmojiWorldCommand.ParseSplit(parse.GetValue(split)!), parse.GetValue(seed), parse.GetValue(start),
                parse.GetValue(count), parse.GetValue(shardSize), parse.GetValue(threads));
            if (options.Count < 1) throw new UsageException("--count must be at least 1.");
            if (options.ShardSize < 1) throw new UsageException("--shard-size must be at least 1.");
            if (options.Threads < 1) throw new UsageException("--threads must be at least 1.");
            if (options.Start < 0 || options.Start % options.ShardSize != 0)
                throw new UsageException($"--start ({options.Start}) must be a non-negative multiple of --shard-size ({options.ShardSize}).");
            using var emoji = EmojiArt.Open(parse.GetValue(art));
            var composer = new Composer(emoji);
            var folder = parse.GetValue(output)!;
            var started = DateTime.UtcNow;
            var line = ProgressLine.ForConsole(error: true);
            var progress = new Progress<long>(done => line.Report(done, options.Count, "scenes"));
            var manifest = SceneShards.Write(composer, folder, options, progress, cancel);
            var seconds = (DateTime.UtcNow - started).TotalSeconds;
            line.Finish();
            Console.WriteLine($"{options.Count} {parse.GetValue(split)} scenes in {manifest.Shards.Count(s => s.First >= options.Start && s.First < options.Start + options.Count)} shards "
                              + $"in {folder} ({seconds:0.0} s, {options.Count / Math.Max(seconds, 1e-9):0} scenes/s)");
            return Task.FromResult(0);
        });
        return command;
    }
}
