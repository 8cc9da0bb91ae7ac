using System.Text;
using Microsoft.ML.Tokenizers;

namespace UnimoG.Text.Tokenizers;

/// <summary>
/// SentencePiece BPE with SentencePiece's tie-breaking, on Microsoft.ML.Tokenizers' merge loop.
/// <para>
/// Between candidate merges of equal score SentencePiece takes the leftmost, ML.Tokenizers 2.0.1 the
/// rightmost. Equal scores are common: runs of one character ("xxxx", "....") and LLaMA's 16 whitespace
/// pieces (all scored -1e9), so ids differed for runs of spaces. Mirroring every piece of the model and the
/// text turns "rightmost" into "leftmost" (among adjacent pairs the one that starts first also ends first),
/// so ML.Tokenizers on the mirrored text, read back to front, is SentencePiece's segmentation.
/// </para>
/// </summary>
internal sealed class MirroredSentencePiece
{
    private readonly SentencePieceTokenizer _mirrored;
    private readonly int _firstByteId;

    /// <summary>The mirrored model: its ids, special pieces and byte pieces are the original's.</summary>
    public SentencePieceTokenizer Tokenizer => _mirrored; // id of "<0x00>": byte-fallback ids are _firstByteId + byte

    public MirroredSentencePiece(byte[] model)
    {
        using var stream = new MemoryStream(MirrorModel(model));
        _mirrored = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        _firstByteId = _mirrored.Vocabulary.TryGetValue("<0x00>", out int id) ? id : -1000;
    }

    /// <summary>Ids of already normalised text (spaces escaped as "▁", dummy prefix added if wanted).</summary>
    public List<int> Encode(string normalized)
    {
        var mirrored = _mirrored.EncodeToIds(Reverse(normalized), addBeginningOfSentence: false, addEndOfSentence: false,
            considerPreTokenization: false, considerNormalization: false);
        // Read back to front, except that the byte-fallback ids of one character (its UTF-8 bytes: a lead
        // byte, then continuation bytes 10xxxxxx) keep their order.
        var ids = new List<int>(mirrored.Count);
        for (int end = mirrored.Count; end > 0;)
        {
            int start = end - 1;
            while (start > 0 && IsContinuationByte(mirrored[start])) start--;
            for (int k = start; k < end; k++) ids.Add(mirrored[k]);
            end = start;
        }
        return ids;
    }

    /// <summary>The USER_DEFINED pieces (type 4) of a model and their ids (their index among the pieces).</summary>
    public static List<(string Piece, int Id)> UserDefinedPieces(byte[] model)
    {
        var found = new List<(string, int)>();
        var id = 0;
        foreach (var field in ProtoWire.Fields(model))
        {
            if (field.Number != 1 || field.WireType != ProtoWire.LengthDelimited) continue;
            var parts = ProtoWire.Fields(field.Payload.ToArray()).ToList();
            var type = parts.LastOrDefault(f => f.Number == 3 && f.WireType == ProtoWire.Varint)?.Value ?? 1;
            var text = parts.LastOrDefault(f => f.Number == 1 && f.WireType == ProtoWire.LengthDelimited);
            if (type == 4 && text is not null && text.Payload.Length > 0) found.Add((Encoding.UTF8.GetString(text.Payload.Span), id));
            id++;
        }
        return found;
    }

    private bool IsContinuationByte(int id) => id >= _firstByteId && id < _firstByteId + 256 && ((id - _firstByteId) & 0xC0) == 0x80;

    /// <summary>The string read back to front by code points (surrogate pairs kept whole).</summary>
    public static string Reverse(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = text.Length; i > 0;)
        {
            int width = i >= 2 && char.IsLowSurrogate(text[i - 1]) && char.IsHighSurrogate(text[i - 2]) ? 2 : 1;
            sb.Append(text, i - width, width);
            i -= width;
        }
        return sb.ToString();
    }

    // ModelProto (sentencepiece_model.proto): field 1 = repeated SentencePiece { 1: piece, 2: score, 3: type }.
    // Pieces matched against text (NORMAL=1, the default, USER_DEFINED=4, UNUSED=5) are mirrored; UNKNOWN,
    // CONTROL and BYTE pieces are names, not text, and stay. Everything else is copied byte for byte.
    private static byte[] MirrorModel(byte[] model)
    {
        var output = new MemoryStream(model.Length);
        foreach (var field in ProtoWire.Fields(model))
        {
            if (field.Number == 1 && field.WireType == ProtoWire.LengthDelimited)
                ProtoWire.WriteLengthDelimited(output, 1, MirrorPiece(field.Payload.Span));
            else
                output.Write(field.Raw.Span);
        }
        return output.ToArray();
    }

    private static byte[] MirrorPiece(ReadOnlySpan<byte> piece)
    {
        var fields = ProtoWire.Fields(piece.ToArray()).ToList();
        ulong type = fields.LastOrDefault(f => f.Number == 3 && f.WireType == ProtoWire.Varint)?.Value ?? 1;
        if (type is not (1 or 4 or 5))
            return piece.ToArray();
        var output = new MemoryStream(piece.Length);
        foreach (var f in fields)
        {
            if (f.Number == 1 && f.WireType == ProtoWire.LengthDelimited)
                ProtoWire.WriteLengthDelimited(output, 1,
                    Encoding.UTF8.GetBytes(Reverse(Encoding.UTF8.GetString(f.Payload.Span))));
            else
                output.Write(f.Raw.Span);
        }
        return output.ToArray();
    }
}

/// <summary>Just enough of the protobuf wire format to walk and rewrite a message's top-level fields.</summary>
internal static class ProtoWire
{
    public const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    /// <param name="Raw">The whole field, tag included, for copying unchanged.</param>
    /// <param name="Payload">The bytes of a length-delimited field.</param>
    /// <param name="Value">The value of a varint field.</param>
    public sealed record Field(int Number, int WireType, ReadOnlyMemory<byte> Raw, ReadOnlyMemory<byte> Payload, ulong Value);

    public static IEnumerable<Field> Fields(byte[] message)
    {
        int pos = 0;
        while (pos < message.Length)
        {
            int start = pos;
            ulong tag = ReadVarint(message, ref pos);
            int number = (int)(tag >> 3), wireType = (int)(tag & 7);
            ReadOnlyMemory<byte> payload = default;
            ulong value = 0;
            switch (wireType)
            {
                case Varint: value = ReadVarint(message, ref pos); break;
                case Fixed64: pos += 8; break;
                case Fixed32: pos += 4; break;
                case LengthDelimited:
                    int length = checked((int)ReadVarint(message, ref pos));
                    if (length < 0 || pos + length > message.Length) throw Corrupt();
                    payload = message.AsMemory(pos, length);
                    pos += length;
                    break;
                default: throw Corrupt();
            }
            if (pos > message.Length) throw Corrupt();
            yield return new Field(number, wireType, message.AsMemory(start, pos - start), payload, value);
        }
    }

    public static void WriteLengthDelimited(Stream output, int number, ReadOnlySpan<byte> payload)
    {
        WriteVarint(output, ((ulong)number << 3) | LengthDelimited);
        WriteVarint(output, (ulong)payload.Length);
        output.Write(payload);
    }

    private static ulong ReadVarint(byte[] data, ref int pos)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw Corrupt();
            byte b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw Corrupt();
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }

    private static InvalidDataException Corrupt() => new("Not a SentencePiece model: malformed protobuf.");
}
