using Microsoft.ML.Tokenizers;

namespace UnimoG.Engines.DataPrep.Grounding;

/// <summary>
/// The text inputs of a Grounding DINO export for one caption "phrase one . phrase two ." (lower case), each [L] or
/// [L, L] with L &lt;= 256, and which phrase each token belongs to.
/// </summary>
public sealed class GroundingText
{
    public required string Caption { get; init; }
    public required long[] InputIds { get; init; }          // [L]
    public required long[] PositionIds { get; init; }       // [L]
    public required long[] TokenTypeIds { get; init; }      // [L] zeros: one sentence
    public required bool[] AttentionMask { get; init; }     // [L] all true: no padding for batch size 1
    public required bool[] TextTokenMask { get; init; }     // [L, L] row-major: tokens attend within their phrase
    public required int[] TokenPhrase { get; init; }        // [L] index into Phrases, -1 for [CLS], ".", [SEP]
    public required IReadOnlyList<int> Phrases { get; init; } // indices into the caller's phrase list
    public int Length => InputIds.Length;
}

/// <summary>
/// BERT (bert-base-uncased WordPiece) tokenisation of entity phrases the way GroundingDINO prepares its caption:
/// phrases joined with " . ", a final " .", lower case; [CLS] ... [SEP]. Tokens are produced phrase by phrase, which
/// equals tokenising the whole caption (BERT's basic tokenizer splits at spaces and punctuation) and yields the
/// token-to-phrase map directly. The self-attention mask and position ids follow GroundingDINO's
/// <c>generate_masks_with_special_tokens_and_transfer_map</c>: special tokens are [CLS], [SEP], "." and "?"; the
/// tokens after one special token up to and including the next form a block that attends within itself, with
/// positions 0, 1, ...; [CLS] and the final [SEP] attend to themselves at position 0.
/// </summary>
public sealed class GroundingTokenizer
{
    private readonly BertTokenizer _bert;
    private readonly HashSet<long> _special;
    private readonly int _cls, _sep, _dot;

    public GroundingTokenizer(string vocabPath, int maxTextLength = 256)
    {
        if (!File.Exists(vocabPath))
            throw new FileNotFoundException($"BERT vocabulary not found: {vocabPath} (bert-base-uncased vocab.txt)", vocabPath);
        // Uncased BERT: lower case and strip accents (Hugging Face's strip_accents follows do_lower_case).
        _bert = BertTokenizer.Create(vocabPath, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            RemoveNonSpacingMarks = true,
            ApplyBasicTokenization = true,
            IndividuallyTokenizeCjk = true,
        });
        MaxTextLength = maxTextLength;
        _cls = _bert.ClassificationTokenId;
        _sep = _bert.SeparatorTokenId;
        var dot = _bert.EncodeToIds(".", addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
        var question = _bert.EncodeToIds("?", addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
        if (dot.Count != 1 || question.Count != 1 || dot[0] == _bert.UnknownTokenId)
            throw new InvalidDataException($"{vocabPath}: the vocabulary has no single tokens for \".\" and \"?\"; is it a BERT vocab.txt?");
        _dot = dot[0];
        _special = [_cls, _sep, _dot, question[0]];
    }

    public int MaxTextLength { get; }

    public BertTokenizer Bert => _bert;

    /// <summary>Token ids of one phrase without special tokens ("." and "?" in a phrase become spaces).</summary>
    public IReadOnlyList<int> PhraseIds(string phrase) =>
        _bert.EncodeToIds(Clean(phrase), addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);

    /// <summary>
    /// One or more captions covering <paramref name="phrases"/> in order, each within <see cref="MaxTextLength"/>
    /// tokens. Phrases that tokenise to nothing, or alone exceed the limit, are left out (never grounded).
    /// </summary>
    public IReadOnlyList<GroundingText> Build(IReadOnlyList<string> phrases)
    {
        var result = new List<GroundingText>();
        var current = new List<(int Phrase, IReadOnlyList<int> Ids)>();
        var length = 2; // [CLS] ... [SEP]
        foreach (var (phrase, index) in phrases.Select((p, i) => (p, i)))
        {
            var ids = PhraseIds(phrase);
            if (ids.Count == 0 || ids.Count + 3 > MaxTextLength)
                continue;
            if (length + ids.Count + 1 > MaxTextLength)
            {
                result.Add(Assemble(current, phrases));
                current.Clear();
                length = 2;
            }
            current.Add((index, ids));
            length += ids.Count + 1;
        }
        if (current.Count > 0)
            result.Add(Assemble(current, phrases));
        return result;
    }

    private GroundingText Assemble(List<(int Phrase, IReadOnlyList<int> Ids)> parts, IReadOnlyList<string> phrases)
    {
        var ids = new List<long> { _cls };
        var owner = new List<int> { -1 };
        foreach (var (phrase, phraseIds) in parts)
        {
            foreach (var id in phraseIds)
            {
                ids.Add(id);
                owner.Add(phrase);
            }
            ids.Add(_dot);
            owner.Add(-1);
        }
        ids.Add(_sep);
        owner.Add(-1);
        var input = ids.ToArray();
        var (mask, positions) = SpecialTokenBlocks(input, _special);
        return new GroundingText
        {
            Caption = string.Join(" . ", parts.Select(p => Clean(phrases[p.Phrase]).ToLowerInvariant())) + " .",
            InputIds = input,
            PositionIds = positions,
            TokenTypeIds = new long[input.Length],
            AttentionMask = Enumerable.Repeat(true, input.Length).ToArray(),
            TextTokenMask = mask,
            TokenPhrase = owner.ToArray(),
            Phrases = parts.Select(p => p.Phrase).ToList(),
        };
    }

    /// <summary>GroundingDINO's block-diagonal text self-attention mask [L, L] and position ids [L].</summary>
    public static (bool[] Mask, long[] Positions) SpecialTokenBlocks(long[] inputIds, IReadOnlySet<long> special)
    {
        var n = inputIds.Length;
        var mask = new bool[n * n];
        var positions = new long[n];
        for (var i = 0; i < n; i++)
            mask[i * n + i] = true; // the identity: every token attends to itself
        var previous = 0;
        for (var col = 0; col < n; col++)
        {
            if (!special.Contains(inputIds[col]))
                continue;
            if (col == 0 || col == n - 1)
            {
                positions[col] = 0;
            }
            else
            {
                // Block of tokens (previous, col]: the phrase and its closing "." attend to each other.
                for (var r = previous + 1; r <= col; r++)
                {
                    for (var c = previous + 1; c <= col; c++)
                        mask[r * n + c] = true;
                    positions[r] = r - previous - 1;
                }
            }
            previous = col;
        }
        return (mask, positions);
    }

    private static string Clean(string phrase) => phrase.Replace('.', ' ').Replace('?', ' ').Trim();
}
