using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;

namespace UnimoG.Fuzz.Tests;

/// <summary>What a <see cref="ByteEdit"/> does to the bytes.</summary>
public enum EditKind { FlipBit, SetByte, Insert, Delete, Truncate, Duplicate, SetInt32BigEndian, SetInt16LittleEndian, SetInt16BigEndian }

/// <summary>
/// One mutation of a file, positioned relative to whatever length the file has when it applies (so a list of edits
/// still applies after an earlier edit shortened the file, and shrinking can drop any edit).
/// </summary>
public sealed record ByteEdit(EditKind Kind, uint Position, int Length, int Value)
{
    public override string ToString() => $"{Kind}@{Position}:{Length}:{Value}";
}

/// <summary>Generators, application and shrinking of <see cref="ByteEdit"/> lists.</summary>
public static class ByteEdits
{
    // Sizes and lengths that break parsers: zero, one, signs, powers of two and their neighbours, image-bomb sides.
    private static readonly int[] Interesting32 = [0, 1, -1, 2, 7, 8, 13, 255, 256, 65535, 65536, 16384, 20000, 46341, 0x7FFFFFFF, unchecked((int)0x80000000), 1 << 20, 100_000];
    private static readonly int[] Interesting16 = [0, 1, 2, 0x7FFF, 0x8000, 0xFFFF, 16383, 8193, 20000, 65500];
    private static readonly int[] InterestingByte = [0, 1, 0x7F, 0x80, 0xFE, 0xFF, 8, 16, 0x0D, 0x0A];

    public static Gen<ByteEdit> Edit { get; } =
        from kind in Gen.Frequency(
            (4, Gen.Constant(EditKind.FlipBit)), (4, Gen.Constant(EditKind.SetByte)), (2, Gen.Constant(EditKind.Insert)),
            (2, Gen.Constant(EditKind.Delete)), (1, Gen.Constant(EditKind.Truncate)), (1, Gen.Constant(EditKind.Duplicate)),
            (2, Gen.Constant(EditKind.SetInt32BigEndian)), (2, Gen.Constant(EditKind.SetInt16LittleEndian)), (1, Gen.Constant(EditKind.SetInt16BigEndian)))
        from position in Gen.Choose(0, int.MaxValue).Select(p => (uint)p)
        from length in Gen.Frequency((3, Gen.Choose(1, 8)), (1, Gen.Choose(9, 300)))
        from value in kind switch
        {
            EditKind.SetInt32BigEndian => Gen.Elements(Interesting32),
            EditKind.SetInt16LittleEndian or EditKind.SetInt16BigEndian => Gen.Elements(Interesting16),
            _ => Gen.Frequency((2, Gen.Elements(InterestingByte)), (3, Gen.Choose(0, 255)), (1, Gen.Choose(256, int.MaxValue))),
        }
        select new ByteEdit(kind, position, length, value);

    /// <summary>One to eight edits, mostly few (a few bytes off a valid file reach deeper than noise).</summary>
    public static Gen<ByteEdit[]> Edits { get; } = Gen.Frequency((4, Gen.Choose(1, 2)), (2, Gen.Choose(3, 8))).SelectMany(n => Edit.ArrayOf(n));

    public static byte[] Apply(byte[] data, IEnumerable<ByteEdit> edits)
    {
        var bytes = new List<byte>(data);
        foreach (var e in edits) Apply(bytes, e);
        return [.. bytes];
    }

    private static void Apply(List<byte> b, ByteEdit e)
    {
        int At(int extra = 0) => b.Count + extra == 0 ? 0 : (int)(e.Position % (uint)(b.Count + extra));
        switch (e.Kind)
        {
            case EditKind.FlipBit when b.Count > 0: b[At()] ^= (byte)(1 << (e.Value & 7)); break;
            case EditKind.SetByte when b.Count > 0: b[At()] = (byte)e.Value; break;
            case EditKind.Insert:
                // Value > 255 seeds random bytes; else a run of that byte.
                var rng = new Random(e.Value);
                b.InsertRange(At(1), Enumerable.Range(0, e.Length).Select(_ => e.Value > 255 ? (byte)rng.Next(256) : (byte)e.Value));
                break;
            case EditKind.Delete when b.Count > 0: { int at = At(); b.RemoveRange(at, Math.Min(e.Length, b.Count - at)); break; }
            case EditKind.Truncate: b.RemoveRange(At(1), b.Count - At(1)); break;
            case EditKind.Duplicate when b.Count > 0:
            {
                int from = At(), n = Math.Min(e.Length, b.Count - from);
                b.InsertRange((int)((uint)e.Value % (uint)(b.Count + 1)), b.GetRange(from, n));
                break;
            }
            case EditKind.SetInt32BigEndian when b.Count >= 4: Write(b, At(-3), 4, s => BinaryPrimitives.WriteInt32BigEndian(s, e.Value)); break;
            case EditKind.SetInt16LittleEndian when b.Count >= 2: Write(b, At(-1), 2, s => BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)e.Value)); break;
            case EditKind.SetInt16BigEndian when b.Count >= 2: Write(b, At(-1), 2, s => BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)e.Value)); break;
        }
    }

    private static void Write(List<byte> b, int at, int n, SpanAction write)
    {
        Span<byte> s = stackalloc byte[4];
        write(s[..n]);
        for (int i = 0; i < n; i++) b[at + i] = s[i];
    }

    private delegate void SpanAction(Span<byte> s);

    /// <summary>Smaller edit lists: each edit dropped in turn (the minimal crashing input keeps only what matters).</summary>
    public static IEnumerable<ByteEdit[]> Shrink(ByteEdit[] edits) =>
        Enumerable.Range(0, edits.Length).Select(i => edits.Where((_, j) => j != i).ToArray());
}
