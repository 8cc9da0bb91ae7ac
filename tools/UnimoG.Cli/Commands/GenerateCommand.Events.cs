using System.Globalization;
using Grpc.Core;
using Spectre.Console;
using UnimoG.Client;
using UnimoG.Contracts.V1;

namespace UnimoG.Cli;

/// <summary><c>unimog generate</c>: what it prints and writes as the generation's events come.</summary>
internal static partial class GenerateCommand
{
    /// <param name="trained">The model's trained size (its default), for the warning on sizes far beyond it.</param>
    private static async Task<int> ConsumeAsync(IAsyncEnumerable<GenerationEvent> events, RunOptions options, IAnsiConsole console, string where,
        (int Width, int Height)? trained, CancellationToken ct)
    {
        try
        {
            var enumerator = events.GetAsyncEnumerator(ct);
            await using (enumerator)
            {
                if (!await enumerator.MoveNextAsync() || enumerator.Current is not GenerationEvent.Accepted accepted)
                    throw new UnimoGException(StatusCode.Internal, "the generation did not start with an accepted event");
                var a = accepted.Info;
                // Plain lines (not Spectre's, which wrap at 80 columns when redirected): scripts grep them.
                Console.Out.WriteLine($"request {a.RequestId} ({where}): model {a.Model}, seed {a.Seed}, {a.Width}x{a.Height}, {a.Steps} steps, guidance {a.GuidanceScale.ToString(CultureInfo.InvariantCulture)}");
                if (a.ModelUntrained)
                    Console.Error.WriteLine($"unimog: warning: model '{a.Model}' is UNTRAINED (random weights, not yet the trained mini model): the image will be noise.");
                WarnAboutSize(a, trained);
                var sink = new EventSink(a, options, ct);
                if (console.Profile.Capabilities.Interactive)
                {
                    await console.Progress().AutoClear(false)
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                        .StartAsync(async p =>
                        {
                            var task = p.AddTask("denoising", maxValue: a.Steps);
                            while (await enumerator.MoveNextAsync())
                                await sink.Handle(enumerator.Current, step => { task.Description = "denoising"; task.Value = step; },
                                    waiting => task.Description = $"queued: {waiting}");
                            task.StopTask();
                        });
                }
                else
                {
                    // Redirected output (logs, CI): a plain line at each quarter instead of a redrawn bar.
                    var quarter = 0;
                    while (await enumerator.MoveNextAsync())
                        await sink.Handle(enumerator.Current, step =>
                        {
                            if (step * 4 < (quarter + 1) * a.Steps) return;
                            quarter = step * 4 / a.Steps;
                            Console.Out.WriteLine($"denoising: step {step}/{a.Steps}");
                        }, waiting => Console.Out.WriteLine($"queued: {waiting}"));
                }
                Summarize(sink.Written, options.PreviewDir, sink.PreviewsWritten, sink.Completed);
                if (a.ModelUntrained)
                    Console.Error.WriteLine($"unimog: warning: model '{a.Model}' is UNTRAINED: the images ({string.Join(", ", sink.Written)}) are noise, not the prompt.");
                return 0;
            }
        }
        catch (UnimoGException e) when (e.Status is StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.NotFound)
        {
            throw new UsageException(e.Detail);
        }
    }

    /// <summary>"2 requests ahead, 1 running": a queue position as the progress line shows it.</summary>
    internal static string Waiting(GenerationEvent.Queued q) =>
        $"{(q.Position == 0 ? "next to start" : q.Position == 1 ? "1 request ahead" : $"{q.Position} requests ahead")}, {q.Active} running";

    /// <summary>Images and previews written as they come; progress and queue positions handed to the display.</summary>
    private sealed class EventSink(GenerateAccepted a, RunOptions options, CancellationToken ct)
    {
        private readonly StepEstimate _estimate = new(a.Steps);

        public List<string> Written { get; } = [];
        public int PreviewsWritten { get; private set; }
        public GenerateCompleted? Completed { get; private set; }

        public async Task Handle(GenerationEvent e, Action<int> progress, Action<string> queued)
        {
            switch (e)
            {
                case GenerationEvent.Queued q:
                    queued(Waiting(q));
                    break;
                case GenerationEvent.Progress pr:
                    _estimate.After(pr.Step);
                    progress(pr.Step);
                    break;
                case GenerationEvent.Preview pv when options.PreviewDir is not null:
                    await File.WriteAllBytesAsync(Path.Combine(options.PreviewDir, $"step-{pv.Step:000}-{pv.Index}.png"), pv.Png, ct);
                    PreviewsWritten++;
                    break;
                case GenerationEvent.Image im:
                    var path = a.NumImages == 1 ? options.Out
                        : Path.Combine(Path.GetDirectoryName(options.Out) ?? "", $"{Path.GetFileNameWithoutExtension(options.Out)}-{im.Index}{Path.GetExtension(options.Out)}");
                    if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
                    await File.WriteAllBytesAsync(path, im.Png, ct);
                    Written.Add(path);
                    break;
                case GenerationEvent.Completed c:
                    Completed = c.Times;
                    break;
            }
        }
    }

    private static void Summarize(List<string> written, string? previewDir, int previews, GenerateCompleted? completed)
    {
        foreach (var path in written) Console.Out.WriteLine($"wrote {path}");
        if (previewDir is not null) Console.Out.WriteLine($"wrote {previews} preview(s) to {previewDir} (step-NNN-I.png)");
        if (completed is { } t)
            Console.Out.WriteLine($"encode {t.EncodeMs:0} ms, denoise {t.DenoiseMs:0} ms, decode {t.DecodeMs:0} ms, total {t.TotalMs:0} ms");
    }

    private static void WarnAboutSize(GenerateAccepted a, (int Width, int Height)? trained)
    {
        if (trained is not { } size || (long)a.Width * a.Height <= 4L * size.Width * size.Height) return;
        Console.Error.WriteLine($"unimog: warning: {a.Width}x{a.Height} is {(double)a.Width * a.Height / ((long)size.Width * size.Height):0.#}x the pixels " +
            $"'{a.Model}' was trained at ({size.Width}x{size.Height}): expect poor images, and a step costs about that much more; the time estimate follows the first step.");
    }

    /// <summary>After the first step: the rest at its pace, said once when the whole run looks long (over 20 s).</summary>
    private sealed class StepEstimate(int steps)
    {
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
        private bool _said;

        public void After(int step)
        {
            if (_said || step < 1) return;
            _said = true;
            var elapsed = _clock.Elapsed.TotalSeconds;
            var total = elapsed / step * steps;
            if (total > 20) Console.Out.WriteLine($"denoising: step {step}/{steps} after {elapsed:0.0} s: about {total - elapsed:0} s to go");
        }
    }
}
