using UnimoG.Contracts.V1;

namespace UnimoG.Contracts.Tensors;

/// <summary>Destination memory for one incoming tensor (a managed array, or a native tensor's storage).</summary>
public interface ITensorBuffer : IDisposable
{
    Span<byte> Bytes { get; }
}

/// <summary>A plain managed buffer.</summary>
public sealed class ArrayTensorBuffer(long length) : ITensorBuffer
{
    public byte[] Array { get; } = new byte[length];
    public Span<byte> Bytes => Array;
    public void Dispose() { }
}

/// <summary>
/// Reassembles the tensors of one stream from their chunks, validating as it goes: known datatype,
/// shape within limits, chunks in order from offset 0 without gaps or overlaps, bytes adding up to the
/// shape, a single run per name. Each chunk's bytes are copied once, straight into the destination
/// that <paramref name="allocate"/> returns for the tensor's header. Any violation throws
/// <see cref="TensorStreamException"/> naming the tensor.
/// </summary>
public sealed class TensorAssembler(TensorLimits limits, Func<TensorHeader, ITensorBuffer> allocate) : IDisposable
{
    private readonly Dictionary<string, (TensorHeader Header, ITensorBuffer Buffer)> _done = new(StringComparer.Ordinal);
    private (TensorHeader Header, ITensorBuffer Buffer, long Received)? _open;
    private long _total;

    public TensorAssembler(TensorLimits limits) : this(limits, h => new ArrayTensorBuffer(h.ByteLength)) { }

    public IReadOnlyDictionary<string, (TensorHeader Header, ITensorBuffer Buffer)> Tensors => _done;

    public bool InProgress => _open is not null;

    public void Accept(TensorChunk chunk)
    {
        var name = chunk.Name;
        if (_open is { } open)
        {
            if (name.Length > 0 && name != open.Header.Name)
                throw new TensorStreamException(open.Header.Name, $"ended after {open.Received} of {open.Header.ByteLength} bytes (next chunk is '{name}')");
            CheckRepeatedHeader(open.Header, chunk);
            Append(open.Header, open.Buffer, open.Received, chunk);
            return;
        }
        if (name.Length == 0) throw new TensorStreamException("", "chunk without a tensor name");
        if (_done.ContainsKey(name)) throw new TensorStreamException(name, "sent twice");
        if (_done.Count >= limits.MaxTensors) throw new TensorStreamException(name, $"more than {limits.MaxTensors} tensors in one stream");
        if (!TensorDataTypes.TryParse(chunk.Datatype, out var type))
            throw new TensorStreamException(name, $"unknown datatype '{chunk.Datatype}' (expected one of {string.Join(", ", Enum.GetNames<TensorDataType>())})");
        if (chunk.Shape.Count > limits.MaxRank) throw new TensorStreamException(name, $"rank {chunk.Shape.Count} exceeds {limits.MaxRank}");
        if (chunk.Shape.Any(d => d < 0)) throw new TensorStreamException(name, $"negative dimension in shape [{string.Join(", ", chunk.Shape)}]");
        var header = new TensorHeader(name, type, chunk.Shape.ToArray());
        long length;
        try
        {
            length = header.ByteLength;
            // Strides multiply the non-zero dimensions, even of an empty tensor ([0, 2^31, 2^62] holds nothing): they must fit too.
            _ = checked(header.Shape.Where(d => d != 0).Aggregate(1L, (a, d) => checked(a * d)) * type.ElementSize());
        }
        catch (OverflowException) { throw new TensorStreamException(name, $"shape [{string.Join(", ", chunk.Shape)}] overflows"); }
        if (length > Math.Min(limits.MaxTensorBytes, int.MaxValue))
            throw new TensorStreamException(name, $"{length} bytes exceeds the limit of {Math.Min(limits.MaxTensorBytes, int.MaxValue)} bytes per tensor");
        if (_total + length > limits.MaxTotalBytes)
            throw new TensorStreamException(name, $"the stream's tensors exceed the limit of {limits.MaxTotalBytes} bytes in total");
        if (chunk.ByteOffset != 0) throw new TensorStreamException(name, $"first chunk starts at byte {chunk.ByteOffset}, not 0");
        var buffer = allocate(header);
        _total += length;
        Append(header, buffer, 0, chunk);
    }

    private void Append(TensorHeader header, ITensorBuffer buffer, long received, TensorChunk chunk)
    {
        if (chunk.ByteOffset != received)
        {
            var kind = chunk.ByteOffset < received ? "overlaps" : "skips";
            Fail(header, buffer, $"chunk at byte {chunk.ByteOffset} {kind} (expected byte {received})");
        }
        var data = chunk.Data.Span;
        if (received + data.Length > header.ByteLength)
            Fail(header, buffer, $"{received + data.Length} bytes received, more than the {header.ByteLength} of {header}");
        data.CopyTo(buffer.Bytes.Slice((int)received));
        received += data.Length;
        if (chunk.Last)
        {
            if (received != header.ByteLength)
                Fail(header, buffer, $"last chunk after {received} of {header.ByteLength} bytes");
            _open = null;
            _done[header.Name] = (header, buffer);
        }
        else
        {
            _open = (header, buffer, received);
        }
    }

    private static void CheckRepeatedHeader(TensorHeader header, TensorChunk chunk)
    {
        if (chunk.Datatype.Length > 0 && chunk.Datatype != header.DataType.Name())
            throw new TensorStreamException(header.Name, $"datatype changed from {header.DataType} to {chunk.Datatype} mid-stream");
        if (chunk.Shape.Count > 0 && !chunk.Shape.SequenceEqual(header.Shape))
            throw new TensorStreamException(header.Name, "shape changed mid-stream");
    }

    private void Fail(TensorHeader header, ITensorBuffer buffer, string message)
    {
        _open = null;
        buffer.Dispose();
        throw new TensorStreamException(header.Name, message);
    }

    /// <summary>Throws when a tensor is still incomplete (the stream ended early).</summary>
    public void Complete()
    {
        if (_open is { } open)
            throw new TensorStreamException(open.Header.Name, $"stream ended after {open.Received} of {open.Header.ByteLength} bytes");
    }

    /// <summary>Takes a completed tensor; the caller then owns its buffer.</summary>
    public (TensorHeader Header, ITensorBuffer Buffer) Take(string name)
    {
        if (!_done.Remove(name, out var t)) throw new TensorStreamException(name, "missing from the stream");
        return t;
    }

    public void Dispose()
    {
        _open?.Buffer.Dispose();
        foreach (var (_, b) in _done.Values) b.Dispose();
        _done.Clear();
    }
}
