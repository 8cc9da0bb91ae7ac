using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace UnimoG.Text.Tokenizers;

/// <summary>
/// CLIP's byte-level BPE tokenizer (openai/CLIP, Hugging Face CLIPTokenizer), for Stable-Diffusion-style
/// text conditioning. Text handling is Hugging Face's without ftfy (<see cref="ClipTextCleaner"/>), words
/// come from <see cref="ClipPreTokenizer"/>, BPE merging is Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>
/// with <c>&lt;/w&gt;</c> on each word's last symbol.
/// </summary>
public sealed class ClipTokenizer : ITextTokenizer
{
    public const string StartToken = "<|startoftext|>";
    public const string EndToken = "<|endoftext|>";
    /// <summary>transformers reads at most this many merges (49152 - 256 - 2).</summary>
    public const int MergeCount = 48_894;

    private readonly BpeTokenizer _bpe;
    private readonly string[] _idToToken;
    private readonly SpecialTokenSplitter _specials;

    public int StartId { get; }
    public int EndId { get; }
    /// <summary>Padding id for <see cref="EncodeForModel"/>: the end token, as SD 1.x's tokenizer (SD 2 pads with "!", id 0; see <see cref="WithPadId"/>).</summary>
    public int PadId { get; private set; }
    public int VocabularySize => _idToToken.Length;

    private ClipTokenizer(IReadOnlyList<string> vocabulary, IReadOnlyList<string> merges)
    {
        var vocab = new Dictionary<string, int>(vocabulary.Count);
        for (int i = 0; i < vocabulary.Count; i++)
            vocab[vocabulary[i]] = i;
        if (!vocab.TryGetValue(StartToken, out int start) || !vocab.TryGetValue(EndToken, out int end))
            throw new InvalidDataException($"CLIP vocabulary has no {StartToken} or {EndToken} entry.");
        StartId = start;
        EndId = end;
        PadId = end;
        _idToToken = vocabulary.ToArray();
        var specials = new Dictionary<string, int> { [StartToken] = start, [EndToken] = end };
        _specials = new SpecialTokenSplitter(specials);
        _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = specials,
            ByteLevel = true,
            EndOfWordSuffix = "</w>",
            PreTokenizer = ClipPreTokenizer.Instance,
        });
    }

    /// <summary>The same tokenizer padding with another id (shares the vocabulary).</summary>
    public ClipTokenizer WithPadId(int padId)
    {
        if (padId < 0 || padId >= VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(padId), padId, $"Pad id must be a token id (0..{VocabularySize - 1}).");
        var copy = (ClipTokenizer)MemberwiseClone();
        copy.PadId = padId;
        return copy;
    }

    /// <summary>From openai's <c>bpe_simple_vocab_16e6.txt.gz</c>: 256 byte symbols, the same with &lt;/w&gt;, merges, then the two special tokens.</summary>
    public static ClipTokenizer FromBpeGz(string path)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gz, Encoding.UTF8);
        var lines = reader.ReadToEnd().Split('\n');
        if (lines.Length < 2)
            throw new InvalidDataException($"{path}: not a CLIP BPE merges file (no merges).");
        var merges = lines.Skip(1).Take(MergeCount).Where(l => l.Length > 0).ToList();
        var bytes = ByteSymbols.Select(s => s.Symbol.ToString()).ToArray();
        var vocabulary = new List<string>(2 * bytes.Length + merges.Count + 2);
        vocabulary.AddRange(bytes);
        vocabulary.AddRange(bytes.Select(b => b + "</w>"));
        foreach (var merge in merges)
        {
            int space = merge.IndexOf(' ');
            if (space <= 0)
                throw new InvalidDataException($"{path}: merge line '{merge}' is not two symbols separated by a space.");
            vocabulary.Add(merge.Remove(space, 1));
        }
        vocabulary.Add(StartToken);
        vocabulary.Add(EndToken);
        return new ClipTokenizer(vocabulary, merges);
    }

    /// <summary>From Hugging Face's <c>vocab.json</c> + <c>merges.txt</c> (a tokenizer folder).</summary>
    public static ClipTokenizer FromVocabAndMerges(string vocabJson, string mergesTxt)
    {
        Dictionary<string, int> map;
        using (var stream = File.OpenRead(vocabJson))
            map = JsonSerializer.Deserialize<Dictionary<string, int>>(stream)
                ?? throw new InvalidDataException($"{vocabJson}: empty vocabulary.");
        var vocabulary = new string[map.Count];
        foreach (var (token, id) in map)
        {
            if (id < 0 || id >= vocabulary.Length || vocabulary[id] is not null)
                throw new InvalidDataException($"{vocabJson}: ids must be 0..{map.Count - 1}, each once (token '{token}' has {id}).");
            vocabulary[id] = token;
        }
        var lines = File.ReadAllText(mergesTxt, Encoding.UTF8).Trim().Split('\n');
        // transformers always drops line 0 (the "#version" header); keep a first line that is a merge.
        var merges = lines.Skip(lines.Length > 0 && lines[0].StartsWith("#version") ? 1 : 0)
            .Take(MergeCount).Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
        return new ClipTokenizer(vocabulary, merges);
    }

    /// <summary><c>tokenizer(text).input_ids</c>: start token, the text's tokens, end token.</summary>
    public int[] Encode(string text) => Encode(text, addSpecialTokens: true);

    public int[] Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addSpecialTokens) ids.Add(StartId);
        foreach (var (piece, specialId) in _specials.Split(text))
        {
            if (specialId is { } id)
            {
                ids.Add(id);
                continue;
            }
            string clean = ClipTextCleaner.Clean(piece);
            if (clean.Length > 0)
                ids.AddRange(_bpe.EncodeToIds(clean, considerPreTokenization: true, considerNormalization: false));
        }
        if (addSpecialTokens) ids.Add(EndId);
        return ids.ToArray();
    }

    /// <summary>
    /// Model input as Stable Diffusion's pipeline builds it: truncated to <paramref name="maxLength"/> keeping
    /// the end token last, then padded with <see cref="PadId"/>; the mask marks the real tokens.
    /// </summary>
    public PaddedTokens EncodeForModel(string text, int maxLength = 77)
    {
        if (maxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must leave room for the start and end tokens.");
        var ids = Encode(text);
        if (ids.Length > maxLength)
        {
            ids = ids[..maxLength];
            ids[^1] = EndId;
        }
        var input = new long[maxLength];
        var mask = new long[maxLength];
        for (int i = 0; i < maxLength; i++)
        {
            input[i] = i < ids.Length ? ids[i] : PadId;
            mask[i] = i < ids.Length ? 1 : 0;
        }
        return new PaddedTokens(input, mask);
    }

    /// <summary>Text from ids as transformers decodes: bytes back, &lt;/w&gt; to spaces, trimmed.</summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        void Flush()
        {
            text.Append(Encoding.UTF8.GetString(bytes.ToArray()).Replace("</w>", " "));
            bytes.Clear();
        }
        foreach (int id in ids)
        {
            if (id < 0 || id >= _idToToken.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id outside the vocabulary (0..{_idToToken.Length - 1}).");
            if (id == StartId || id == EndId)
            {
                if (skipSpecialTokens) continue;
                Flush();
                text.Append(_idToToken[id]).Append(' ');
                continue;
            }
            foreach (char c in _idToToken[id])
                bytes.Add(SymbolToByte.TryGetValue(c, out byte b) ? b : (byte)'?');
        }
        Flush();
        return text.ToString().Trim();
    }

    /// <summary>GPT-2's printable stand-ins for the 256 byte values, in vocabulary order: printable Latin-1 as itself, the rest from U+0100.</summary>
    private static readonly (byte Byte, char Symbol)[] ByteSymbols = BuildByteSymbols();
    private static readonly Dictionary<char, byte> SymbolToByte = ByteSymbols.ToDictionary(s => s.Symbol, s => s.Byte);

    private static (byte, char)[] BuildByteSymbols()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        var symbols = new List<(byte, char)>(256);
        for (int b = 0; b < 256; b++)
            if (Printable(b)) symbols.Add(((byte)b, (char)b));
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!Printable(b)) symbols.Add(((byte)b, (char)(256 + n++)));
        return symbols.ToArray();
    }
}
