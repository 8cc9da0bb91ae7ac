namespace UnimoG.Text.Tokenizers;

/// <summary>
/// Cuts text around special tokens written in it, as transformers' added-token Trie does before the
/// tokenizer proper runs: exact, case-sensitive, leftmost match, longest first.
/// </summary>
internal sealed class SpecialTokenSplitter(IReadOnlyDictionary<string, int> tokens)
{
    private readonly (string Text, int Id)[] _byLength =
        tokens.OrderByDescending(t => t.Key.Length).Select(t => (t.Key, t.Value)).ToArray();

    private readonly HashSet<char> _firstChars = tokens.Keys.Select(k => k[0]).ToHashSet();

    /// <summary>Pieces in order: plain text (Id null, never empty) or a special token (its id).</summary>
    public List<(string Text, int? Id)> Split(string text)
    {
        var pieces = new List<(string, int?)>();
        int plainStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_firstChars.Contains(text[i]))
                continue;
            foreach (var (token, id) in _byLength)
            {
                if (string.CompareOrdinal(text, i, token, 0, token.Length) != 0) continue;
                if (i > plainStart) pieces.Add((text[plainStart..i], null));
                pieces.Add((token, id));
                i += token.Length - 1;
                plainStart = i + 1;
                break;
            }
        }
        if (plainStart < text.Length) pieces.Add((text[plainStart..], null));
        return pieces;
    }
}
