namespace UnimoG.Text.Tokenizers;

/// <summary>What the encoders and the <c>unimog tokenize</c> command need from a tokenizer.</summary>
public interface ITextTokenizer
{
    /// <summary>Ids as the reference tokenizer's <c>tokenizer(text).input_ids</c>: special tokens added, no padding.</summary>
    int[] Encode(string text);

    /// <summary>Text back from ids; special tokens dropped unless asked for.</summary>
    string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true);

    int VocabularySize { get; }
}

/// <summary>Ids and attention mask of one text, padded and truncated to a model's fixed length.</summary>
/// <param name="InputIds">[L] token ids (int64, as the text encoders take them).</param>
/// <param name="AttentionMask">[L] 1 for real tokens, 0 for padding.</param>
public sealed record PaddedTokens(long[] InputIds, long[] AttentionMask)
{
    /// <summary>Number of real (unpadded) tokens, start and end tokens included.</summary>
    public int Length => (int)AttentionMask.Sum();
}
