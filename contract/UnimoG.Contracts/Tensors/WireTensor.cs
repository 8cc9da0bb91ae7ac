namespace UnimoG.Contracts.Tensors;

/// <summary>
/// A tensor as the contract carries it, without a tensor library: its header (name, datatype, shape) and its
/// little-endian, row-major bytes. A relay (the gateway) passes it on as it came; torch users convert it with the
/// UnimoG.Client.Torch adapters. Disposing releases the memory's owner, if it has one (e.g. a native tensor).
/// </summary>
public sealed class WireTensor : IDisposable
{
    private IDisposable? _owner;

    public WireTensor(TensorHeader header, ReadOnlyMemory<byte> bytes, IDisposable? owner = null)
    {
        if (bytes.Length != header.ByteLength)
            throw new ArgumentException($"tensor '{header.Name}': {bytes.Length} bytes given for {header} ({header.ByteLength} bytes)", nameof(bytes));
        Header = header;
        Bytes = bytes;
        _owner = owner;
    }

    public TensorHeader Header { get; }
    public ReadOnlyMemory<byte> Bytes { get; }
    public string Name => Header.Name;
    public TensorDataType DataType => Header.DataType;
    public IReadOnlyList<long> Shape => Header.Shape;

    /// <summary>Takes a completed tensor out of an assembler built with managed buffers (the default constructor).</summary>
    public static WireTensor Take(TensorAssembler assembler, string name)
    {
        var (header, buffer) = assembler.Take(name);
        if (buffer is not ArrayTensorBuffer array)
        {
            buffer.Dispose();
            throw new InvalidOperationException($"tensor '{name}' was not assembled into managed memory");
        }
        return new WireTensor(header, array.Array);
    }

    /// <summary>The chunks of this tensor, under its own name or <paramref name="name"/>, wrapping its memory (keep it alive until written).</summary>
    public IEnumerable<V1.TensorChunk> Chunks(string? name = null, int chunkBytes = TensorLimits.DefaultChunkBytes) =>
        TensorChunker.Split(name is null ? Header : Header with { Name = name }, Bytes, chunkBytes);

    /// <summary>A copy that owns its bytes (for keeping past the owner's lifetime).</summary>
    public WireTensor Copy(string? name = null) => new(name is null ? Header : Header with { Name = name }, Bytes.ToArray());

    public override string ToString() => Header.ToString();

    public void Dispose()
    {
        _owner?.Dispose();
        _owner = null;
    }
}
