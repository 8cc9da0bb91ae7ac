using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Fuzz.Tests;

/// <summary>A tensor a well-behaved sender would stream: name, datatype, shape, chunk size.</summary>
public sealed record TensorSpec(string Name, TensorDataType DataType, long[] Shape, int ChunkBytes)
{
    public TensorHeader Header => new(Name, DataType, Shape);
    public override string ToString() => $"{Name} {DataType}[{string.Join(",", Shape)}]/{ChunkBytes}";
}

/// <summary>What a <see cref="StreamEdit"/> does to the chunk at <see cref="StreamEdit.Index"/>.</summary>
public enum StreamEditKind { Drop, Duplicate, SwapWithNext, SetOffset, SetDatatype, SetShape, SetName, CutData, GrowData, ToggleLast, InsertBlank }

public sealed record StreamEdit(StreamEditKind Kind, int Index, long Value, string Text)
{
    public override string ToString() => $"{Kind}@{Index}:{Value}:{PromptGen.Escape(Text)}";
}

/// <summary>A fuzzed stream: the tensors sent well, then edits that break it as a faulty or hostile sender would.</summary>
public sealed record TensorStreamCase(TensorSpec[] Tensors, StreamEdit[] Edits, bool Torch)
{
    public override string ToString() =>
        $"{(Torch ? "torch" : "managed")} [{string.Join("; ", Tensors.AsEnumerable())}] edits [{string.Join(", ", Edits.AsEnumerable())}]";

    /// <summary>The chunks, edited; the data is deterministic (byte i of a tensor is i mod 251).</summary>
    public List<TensorChunk> Chunks()
    {
        var chunks = new List<TensorChunk>();
        foreach (var t in Tensors)
        {
            var bytes = Enumerable.Range(0, (int)t.Header.ByteLength).Select(i => (byte)(i % 251)).ToArray();
            chunks.AddRange(TensorChunker.Split(t.Header, bytes, t.ChunkBytes).Select(c => c.Clone()));
        }
        foreach (var e in Edits) Apply(chunks, e);
        return chunks;
    }

    private static void Apply(List<TensorChunk> chunks, StreamEdit e)
    {
        if (chunks.Count == 0) { chunks.Add(new TensorChunk { Name = e.Text }); return; }
        int i = e.Index % chunks.Count;
        var c = chunks[i];
        switch (e.Kind)
        {
            case StreamEditKind.Drop: chunks.RemoveAt(i); break;
            case StreamEditKind.Duplicate: chunks.Insert(i, c.Clone()); break;
            case StreamEditKind.SwapWithNext when i + 1 < chunks.Count: (chunks[i], chunks[i + 1]) = (chunks[i + 1], c); break;
            case StreamEditKind.SetOffset: c.ByteOffset = e.Value; break;
            case StreamEditKind.SetDatatype: c.Datatype = e.Text; break;
            case StreamEditKind.SetShape:
                c.Shape.Clear();
                c.Shape.AddRange(Enumerable.Range(0, e.Text.Length).Select(k => k == 0 ? e.Value : Dimensions[(e.Index + 5 * k) % Dimensions.Length]));
                break;
            case StreamEditKind.SetName: c.Name = e.Text; break;
            case StreamEditKind.CutData: c.Data = ByteString.CopyFrom(c.Data.Span[..(int)((ulong)e.Value % (ulong)(c.Data.Length + 1))]); break;
            case StreamEditKind.GrowData: c.Data = ByteString.CopyFrom([.. c.Data.Span, .. new byte[(int)((ulong)e.Value % 64) + 1]]); break;
            case StreamEditKind.ToggleLast: c.Last = !c.Last; break;
            case StreamEditKind.InsertBlank: chunks.Insert(i, new TensorChunk { Name = e.Text, ByteOffset = e.Value, Last = e.Value % 2 == 0 }); break;
        }
    }

    private static readonly string[] Names = ["hidden_states", "attention_mask", "latent", "x", "", "latent\0", "名字"];
    private static readonly string[] DataTypes = ["FP32", "FP16", "BF16", "INT64", "BOOL", "UINT8", "fp32", "FP8", "", " FP32", "10", "Int32", "INT32\0"];
    private static readonly long[] Dimensions = [0, 1, 2, 3, 7, 16, 77, -1, long.MaxValue, long.MinValue, 1L << 32, int.MaxValue, 4097];

    private static Gen<TensorSpec> Spec =>
        from name in Gen.Elements(Names.Where(n => n.Length > 0))
        from type in Gen.Elements(Enum.GetValues<TensorDataType>())
        from rank in Gen.Choose(0, 4)
        from shape in Gen.Choose(0, 9).Select(d => (long)d).ArrayOf(rank)
        from chunk in Gen.Elements(1, 3, 8, 64, 1000)
        select new TensorSpec(name, type, shape, chunk);

    private static Gen<StreamEdit> Edit =>
        from kind in Gen.Elements(Enum.GetValues<StreamEditKind>())
        from index in Gen.Choose(0, 1000)
        from value in Gen.Frequency((3, Gen.Elements(Dimensions)), (2, Gen.Choose(-8, 4096).Select(v => (long)v)))
        from text in kind == StreamEditKind.SetDatatype ? Gen.Elements(DataTypes)
            : kind == StreamEditKind.SetShape ? Gen.Choose(0, 10).Select(n => new string('a', n))
            : Gen.Elements(Names)
        select new StreamEdit(kind, index, value, text);

    public static Arbitrary<TensorStreamCase> Arbitrary { get; } = Arb.From(
        from tensors in Gen.Choose(1, 4).SelectMany(n => Spec.ArrayOf(n))
        from edits in Gen.Frequency((1, Gen.Constant(Array.Empty<StreamEdit>())), (4, Gen.Choose(1, 4).SelectMany(n => Edit.ArrayOf(n))))
        from torch in Gen.Elements(false, false, true)
        select new TensorStreamCase(tensors.DistinctBy(t => t.Name).ToArray(), edits, torch),
        c => Enumerable.Range(0, c.Edits.Length).Select(i => c with { Edits = c.Edits.Where((_, j) => j != i).ToArray() })
            .Concat(c.Tensors.Length > 1 ? Enumerable.Range(0, c.Tensors.Length).Select(i => c with { Tensors = c.Tensors.Where((_, j) => j != i).ToArray() }) : []));
}
