namespace UnimoG.Text.Tokenizers;

/// <summary>Which tokenizer a model uses.</summary>
public enum TokenizerKind { Clip, Llama }

/// <summary>Finds and loads tokenizer files in the layouts the reference libraries use.</summary>
public static class TextTokenizers
{
    /// <summary>
    /// CLIP: openai's <c>bpe_simple_vocab_16e6.txt.gz</c>, or a folder with Hugging Face's <c>vocab.json</c> +
    /// <c>merges.txt</c> (or holding the .gz). LLaMA: <c>tokenizer.model</c> or a folder holding it.
    /// </summary>
    public static ITextTokenizer Load(TokenizerKind kind, string path, bool llamaLegacy = true) => kind switch
    {
        TokenizerKind.Clip => LoadClip(path),
        TokenizerKind.Llama => LoadLlama(path, llamaLegacy),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static ClipTokenizer LoadClip(string path)
    {
        if (File.Exists(path))
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                return ClipTokenizer.FromBpeGz(path);
            throw new InvalidDataException(
                $"{path}: a CLIP vocabulary is a bpe_simple_vocab_16e6.txt.gz file or a folder with vocab.json and merges.txt.");
        }
        if (!Directory.Exists(path))
            throw new FileNotFoundException($"CLIP vocabulary not found: {path}", path);
        string vocab = Path.Combine(path, "vocab.json"), merges = Path.Combine(path, "merges.txt");
        if (File.Exists(vocab) && File.Exists(merges))
            return ClipTokenizer.FromVocabAndMerges(vocab, merges);
        var gz = Directory.GetFiles(path, "*.txt.gz");
        if (gz.Length == 1)
            return ClipTokenizer.FromBpeGz(gz[0]);
        throw new FileNotFoundException($"{path} holds neither vocab.json + merges.txt nor one bpe_*.txt.gz file.", vocab);
    }

    public static LlamaSentencePieceTokenizer LoadLlama(string path, bool legacy = true)
    {
        if (Directory.Exists(path))
            path = Path.Combine(path, "tokenizer.model");
        if (!File.Exists(path))
            throw new FileNotFoundException($"SentencePiece model not found: {path}", path);
        try
        {
            return LlamaSentencePieceTokenizer.FromFile(path, legacy);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
