using Microsoft.ML.Tokenizers;

namespace UnimoG.Text.Tokenizers;

/// <summary>
/// LLaMA's SentencePiece tokenizer (<c>tokenizer.model</c>) with Hugging Face's slow LlamaTokenizer behaviour
/// (transformers 4.37) around Microsoft.ML.Tokenizers' <see cref="LlamaTokenizer"/>: BOS added, <c>""</c> gives
/// <c>[bos]</c>, and <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c> written in the text become their ids.
/// <para>
/// Legacy mode (the 4.37 default) encodes each piece between special tokens on its own, so each gets
/// SentencePiece's dummy "▁" prefix. Non-legacy mode (<c>legacy=False</c>) adds one "▁" to the whole text
/// and none after a special token.
/// </para>
/// </summary>
public sealed class LlamaSentencePieceTokenizer : ITextTokenizer
{
    private const char Underline = '\u2581'; // SentencePiece's visible space

    private readonly MirroredSentencePiece _encoder; // encoding, with SentencePiece's tie-breaking
    private readonly SentencePieceTokenizer _mirrored; // its vocabulary: special and byte pieces are not mirrored
    private readonly Lazy<SentencePieceTokenizer> _decoder; // the model as it is, loaded on first Decode
    private readonly SpecialTokenSplitter _specials;
    private readonly int _underlineId;
    private readonly int _unkPrefixLength;
    // USER_DEFINED pieces (e.g. "<Img>"): SentencePiece matches them whole in the text and never merges them with
    // their neighbours; ML.Tokenizers does not know them, so the text is cut at them before its BPE runs.
    private readonly (string Piece, int Id)[] _userDefined;
    private readonly Lazy<string[]> _idToPiece;

    public bool Legacy { get; }
    public int BosId => _mirrored.BeginningOfSentenceId;
    public int EosId => _mirrored.EndOfSentenceId;
    public int UnkId => _mirrored.UnknownId;
    /// <summary>LLaMA's tokenizer.model has no pad piece (pad_id -1); <see cref="WithPadId"/> sets one for batching (often 0 or <see cref="EosId"/>).</summary>
    public int? PadId { get; private set; }

    /// <summary>The same tokenizer with a pad id (shares the model).</summary>
    public LlamaSentencePieceTokenizer WithPadId(int? padId)
    {
        if (padId is { } p && (p < 0 || p >= VocabularySize))
            throw new ArgumentOutOfRangeException(nameof(padId), padId, $"Pad id must be a token id (0..{VocabularySize - 1}).");
        var copy = (LlamaSentencePieceTokenizer)MemberwiseClone();
        copy.PadId = padId;
        return copy;
    }
    public int VocabularySize { get; }

    private LlamaSentencePieceTokenizer(byte[] model, bool legacy)
    {
        _encoder = new MirroredSentencePiece(model);
        _mirrored = _encoder.Tokenizer;
        _decoder = new(() => LlamaTokenizer.Create(new MemoryStream(model), addBeginOfSentence: false, addEndOfSentence: false));
        Legacy = legacy;
        VocabularySize = _mirrored.Vocabulary.Count;
        _specials = new SpecialTokenSplitter(new Dictionary<string, int>
        {
            [_mirrored.UnknownToken] = UnkId,
            [_mirrored.BeginningOfSentenceToken] = BosId,
            [_mirrored.EndOfSentenceToken] = EosId,
        });
        _underlineId = _mirrored.Vocabulary.TryGetValue(Underline.ToString(), out int u) ? u : -1; // "▁" mirrors to itself
        _userDefined = MirroredSentencePiece.UserDefinedPieces(model).OrderByDescending(p => p.Piece.Length).ToArray();
        _idToPiece = new(() =>
        {
            var pieces = new string[VocabularySize];
            foreach (var (piece, id) in _decoder.Value.Vocabulary) pieces[id] = piece;
            foreach (var (piece, id) in _userDefined) pieces[id] = piece;
            return pieces;
        });
        _unkPrefixLength = EncodeNoPrefix(_mirrored.UnknownToken).Count;
    }

    public static LlamaSentencePieceTokenizer FromFile(string path, bool legacy = true)
    {
        using var stream = File.OpenRead(path);
        return Create(stream, legacy);
    }

    public static LlamaSentencePieceTokenizer Create(Stream model, bool legacy = true)
    {
        var bytes = new MemoryStream();
        model.CopyTo(bytes);
        try
        {
            return new LlamaSentencePieceTokenizer(bytes.ToArray(), legacy);
        }
        catch (Exception e) when (e is not (IOException or InvalidDataException))
        {
            throw new InvalidDataException($"Not a SentencePiece model: {e.Message}", e);
        }
    }

    /// <summary><c>tokenizer(text).input_ids</c>: BOS then the text's tokens.</summary>
    public int[] Encode(string text) => Encode(text, addBos: true, addEos: false);

    public int[] Encode(string text, bool addBos, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 2 + 2);
        if (addBos) ids.Add(BosId);
        int first = ids.Count;
        if (Legacy || text.Length == 0)
        {
            foreach (var (piece, special) in _specials.Split(text))
                if (special is { } id) ids.Add(id);
                else ids.AddRange(EncodeNoPrefix(Underline + piece)); // SentencePiece's dummy prefix
        }
        else
        {
            foreach (var (piece, special) in _specials.Split(Underline + text.Replace(Underline, ' ')))
                if (special is { } id) ids.Add(id);
                else ids.AddRange(EncodePieceNonLegacy(piece));
            // "▁" alone before a leading special token is dropped (transformers' T5/Llama tokenize).
            if (ids.Count - first > 1 && ids[first] == _underlineId && IsSpecial(ids[first + 1]))
                ids.RemoveAt(first);
        }
        if (addEos) ids.Add(EosId);
        return ids.ToArray();
    }

    // Without a dummy prefix, SentencePiece would drop a leading "▁"; encoding "<unk>" + piece and cutting
    // the "<unk>" pieces keeps it (what transformers does).
    private IEnumerable<int> EncodePieceNonLegacy(string piece)
    {
        if (piece[0] is not (Underline or ' '))
            return EncodeNoPrefix(piece);
        var ids = EncodeNoPrefix(_mirrored.UnknownToken + piece);
        return ids.Count >= _unkPrefixLength ? ids.Skip(_unkPrefixLength) : ids;
    }

    // SentencePiece with add_dummy_prefix=false: LLaMA's normaliser is "identity" plus escaping spaces.
    private List<int> EncodeNoPrefix(string text)
    {
        var normalized = text.Replace(' ', Underline);
        if (_userDefined.Length == 0) return _encoder.Encode(normalized);
        // SentencePiece's prefix matcher: at each position the longest user-defined piece wins; it stays one
        // symbol that no merge touches, so the BPE runs on the stretches between such pieces separately.
        var ids = new List<int>();
        int start = 0;
        for (int i = 0; i < normalized.Length;)
        {
            var match = Array.FindIndex(_userDefined, p => string.CompareOrdinal(normalized, i, p.Piece, 0, p.Piece.Length) == 0);
            if (match < 0) { i++; continue; }
            if (i > start) ids.AddRange(_encoder.Encode(normalized[start..i]));
            ids.Add(_userDefined[match].Id);
            i += _userDefined[match].Piece.Length;
            start = i;
        }
        if (start < normalized.Length) ids.AddRange(_encoder.Encode(normalized[start..]));
        return ids;
    }

    private bool IsSpecial(int id) => id == BosId || id == EosId || id == UnkId;

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var list = ids.ToList();
        foreach (int id in list)
            if (id < 0 || id >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id outside the vocabulary (0..{VocabularySize - 1}).");
        if (skipSpecialTokens) list = list.Where(id => !IsSpecial(id)).ToList();
        if (_userDefined.Length > 0 && list.Any(id => _userDefined.Any(u => u.Id == id)))
            return DecodeWithUserDefined(list);
        return _decoder.Value.Decode(list, considerSpecialTokens: !skipSpecialTokens) ?? "";
    }

    // ML.Tokenizers drops USER_DEFINED pieces when decoding; SentencePiece writes their text. Pieces are joined
    // (byte pieces as UTF-8), "▁" becomes a space and the dummy prefix's leading space is removed, as SentencePiece does.
    private string DecodeWithUserDefined(List<int> ids)
    {
        var pieces = _idToPiece.Value;
        var text = new System.Text.StringBuilder();
        var bytes = new List<byte>();
        void FlushBytes()
        {
            if (bytes.Count == 0) return;
            text.Append(System.Text.Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (var id in ids)
        {
            var piece = pieces[id] ?? "";
            if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' && !_userDefined.Any(u => u.Id == id))
            {
                bytes.Add(Convert.ToByte(piece[3..5], 16));
                continue;
            }
            FlushBytes();
            text.Append(piece.Replace(Underline, ' '));
        }
        FlushBytes();
        return text.Length > 0 && text[0] == ' ' ? text.ToString(1, text.Length - 1) : text.ToString();
    }
}
