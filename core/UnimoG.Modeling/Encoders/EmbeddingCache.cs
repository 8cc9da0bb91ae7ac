using UnimoG.Text.Prompts;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>
/// Encoder outputs by content key, least-recently-used first out within a byte budget. The encoder is frozen, so
/// a repeated prompt or entity image costs a copy, not a forward pass. Thread-safe; the cache owns its tensors and
/// hands out copies, so a caller disposing its result never touches the cache.
/// </summary>
public sealed class EmbeddingCache(long byteBudget) : IDisposable
{
    private sealed record Entry(string Key, Tensor[] Tensors, IReadOnlyList<VisualSpan> Spans, long Bytes);

    private readonly object _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _lru = new(); // first = most recently used

    public long ByteBudget { get; } = byteBudget >= 0 ? byteBudget : throw new ArgumentOutOfRangeException(nameof(byteBudget));
    public long Hits { get; private set; }
    public long Misses { get; private set; }
    public long Evictions { get; private set; }
    public long Bytes { get { lock (_gate) return _bytes; } }
    public int Count { get { lock (_gate) return _index.Count; } }
    private long _bytes;

    /// <summary>A key from ordered parts (model id, normalised prompt parts, image hashes...): SHA-256 of length-prefixed UTF-8.</summary>
    public static string Key(params IEnumerable<string> parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var p in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(p);
            sha.AppendData(BitConverter.GetBytes(bytes.Length));
            sha.AppendData(bytes);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>Copies of the cached tensors (caller owns them) and spans, counting a hit; false and a miss otherwise.</summary>
    public bool TryGet(string key, out Tensor[] tensors, out IReadOnlyList<VisualSpan> spans)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                Hits++;
                _lru.Remove(node);
                _lru.AddFirst(node);
                tensors = node.Value.Tensors.Select(t => t.clone()).ToArray();
                spans = node.Value.Spans;
                return true;
            }
            Misses++;
            tensors = [];
            spans = [];
            return false;
        }
    }

    /// <summary>Stores copies of <paramref name="tensors"/>; evicts the least recently used until it fits. Larger than the budget: not stored.</summary>
    public void Put(string key, IReadOnlyList<Tensor> tensors, IReadOnlyList<VisualSpan>? spans = null)
    {
        var bytes = tensors.Sum(t => t.NumberOfElements * t.ElementSize);
        if (bytes > ByteBudget) return;
        var copies = tensors.Select(t => t.detach().clone().DetachFromDisposeScope()).ToArray();
        lock (_gate)
        {
            if (_index.Remove(key, out var old)) Drop(old);
            while (_bytes + bytes > ByteBudget && _lru.Last is { } last)
            {
                _index.Remove(last.Value.Key);
                Drop(last);
                Evictions++;
            }
            _index[key] = _lru.AddFirst(new Entry(key, copies, spans ?? [], bytes));
            _bytes += bytes;
        }
    }

    private void Drop(LinkedListNode<Entry> node)
    {
        _lru.Remove(node);
        _bytes -= node.Value.Bytes;
        foreach (var t in node.Value.Tensors) t.Dispose();
    }

    public void Clear()
    {
        lock (_gate)
        {
            while (_lru.First is { } first) Drop(first);
            _index.Clear();
        }
    }

    public void Dispose() => Clear();
}
