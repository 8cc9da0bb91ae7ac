using System.Diagnostics;
using UnimoG.TestSupport;

namespace UnimoG.Mini.Tests.Support;

/// <summary>
/// Runs scripts/train-mini-tokenizer.py with Debian's /usr/bin/python3 and python3-sentencepiece; tests that need
/// it are skipped, with the reason, where those are not installed (tests never install anything).
/// </summary>
public static class TokenizerScript
{
    public const string Python = "/usr/bin/python3";
    public static string Path => System.IO.Path.Combine(RepoPaths.Root, "scripts", "train-mini-tokenizer.py");

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} is not installed";
        var (code, _, _) = Exec(Python, ["-c", "import sentencepiece"]);
        return code == 0 ? null : "python3-sentencepiece is not installed (apt-get install python3-sentencepiece)";
    });

    public static bool Available => Missing.Value is null;
    public static string Why => Missing.Value ?? "";

    public static (int Code, string Stdout, string Stderr) Run(string data, string output, int vocabSize) =>
        Exec(Python, [Path, "--data", data, "--out", output, "--vocab-size", vocabSize.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    /// <summary>Ids Python's sentencepiece gives for each text (no BOS), one list per text.</summary>
    public static List<int[]> Encode(string model, IReadOnlyList<string> texts)
    {
        var input = System.IO.Path.GetTempFileName();
        File.WriteAllText(input, System.Text.Json.JsonSerializer.Serialize(texts));
        try
        {
            var (code, stdout, stderr) = Exec(Python, ["-c",
                "import json,sys,sentencepiece as s; sp=s.SentencePieceProcessor(model_file=sys.argv[1]); " +
                "print(json.dumps([sp.encode(t) for t in json.load(open(sys.argv[2], encoding='utf-8'))]))", model, input]);
            if (code != 0) throw new InvalidOperationException(stderr);
            return System.Text.Json.JsonSerializer.Deserialize<List<int[]>>(stdout)!;
        }
        finally { File.Delete(input); }
    }

    private static (int, string, string) Exec(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
