using System.CommandLine;
using System.Text;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog tokenize --kind clip|llama --vocab PATH</c>: one JSON string literal per input line, the ids
/// of each (space-separated) per output line; CLIP with start/end tokens, LLaMA with BOS; no padding.
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var kind = new Option<string>("--kind") { Description = "Tokenizer: clip or llama.", Required = true };
        kind.AcceptOnlyFromAmong("clip", "llama");
        var vocab = new Option<string>("--vocab")
        {
            Description = "CLIP: bpe_simple_vocab_16e6.txt.gz or a folder with vocab.json + merges.txt. " +
                          "LLaMA: tokenizer.model or a folder holding it.",
            Required = true,
        };
        var nonLegacy = new Option<bool>("--llama-nonlegacy")
        {
            Description = "LLaMA: transformers' legacy=False handling of text after <s>/</s> (default: legacy, as transformers 4.37).",
        };
        var command = new Command("tokenize", "Token ids of JSON string literals read one per line from standard input.")
        {
            kind, vocab, nonLegacy,
        };
        command.SetAction(parse =>
        {
            var tokenizer = TextTokenizers.Load(
                parse.GetRequiredValue(kind) == "clip" ? TokenizerKind.Clip : TokenizerKind.Llama,
                parse.GetRequiredValue(vocab), llamaLegacy: !parse.GetValue(nonLegacy));
            // JSON lines are UTF-8 whatever the locale says (changing the encoding resets Console.In/Out,
            // so only when needed: a test's Console.SetIn/SetOut survives).
            if (Console.InputEncoding.CodePage != Encoding.UTF8.CodePage) Console.InputEncoding = new UTF8Encoding(false);
            if (Console.OutputEncoding.CodePage != Encoding.UTF8.CodePage) Console.OutputEncoding = new UTF8Encoding(false);
            return Run(tokenizer, Console.In, Console.Out);
        });
        return command;
    }

    /// <summary>Streams <paramref name="input"/> to <paramref name="output"/>; a bad line throws <see cref="UsageException"/> naming it.</summary>
    public static int Run(ITextTokenizer tokenizer, TextReader input, TextWriter output)
    {
        // Output goes out in ~64 KB writes: Console.Out flushes on every write.
        var pending = new StringBuilder(1 << 16);
        int number = 0;
        try
        {
            while (input.ReadLine() is { } text)
            {
                number++;
                var ids = tokenizer.Encode(ParseLine(text, number));
                for (int i = 0; i < ids.Length; i++)
                {
                    if (i > 0) pending.Append(' ');
                    pending.Append(ids[i]);
                }
                pending.Append('\n');
                if (pending.Length >= 1 << 16)
                {
                    output.Write(pending);
                    pending.Clear();
                }
            }
        }
        finally
        {
            output.Write(pending); // lines before a bad one stay printed
            output.Flush();
        }
        return 0;
    }

    private static string ParseLine(string text, int number) =>
        JsonStringLiteral.TryParse(text, out var value, out var error)
            ? value
            : throw new UsageException($"line {number}: {error}; expected a JSON string literal such as \"a photo of a cat\", got {Preview(text)}");

    private static string Preview(string text) =>
        text.Length == 0 ? "an empty line" : text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}...'";
}

/// <summary>
/// One JSON string literal (RFC 8259), surrounding whitespace allowed. Unlike System.Text.Json it keeps
/// lone surrogates written as \uD800 escapes, which Python's json.dumps produces for such strings.
/// </summary>
internal static class JsonStringLiteral
{
    public static bool TryParse(string line, out string value, out string error)
    {
        value = "";
        var span = line.AsSpan().Trim(" \t\r\n");
        if (span.Length == 0) { error = "empty line"; return false; }
        if (span[0] != '"') { error = "not a string (no opening quote)"; return false; }
        var sb = new StringBuilder(span.Length);
        int i = 1;
        while (true)
        {
            if (i >= span.Length) { error = "unterminated string"; return false; }
            char c = span[i++];
            if (c == '"') break;
            if (c < 0x20) { error = $"raw control character U+{(int)c:X4} at column {i} (escape it)"; return false; }
            if (c != '\\') { sb.Append(c); continue; }
            if (i >= span.Length) { error = "unterminated escape"; return false; }
            char e = span[i++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (i + 4 > span.Length || !ushort.TryParse(span.Slice(i, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out ushort unit))
                    { error = $"bad \\u escape at column {i - 1}"; return false; }
                    sb.Append((char)unit);
                    i += 4;
                    break;
                default: error = $"unknown escape \\{e} at column {i - 1}"; return false;
            }
        }
        if (i != span.Length) { error = $"text after the closing quote at column {i + 1}"; return false; }
        value = sb.ToString();
        error = "";
        return true;
    }
}
