using Grpc.Core;
using UnimoG.Contracts.V1;
using UnimoG.Imaging;
using UnimoG.Text.Prompts;

namespace UnimoG.Engines;

/// <summary>
/// Images uploaded once and referred to by SHA-256 afterwards (<c>ImageInput.sha256</c>): least recently used
/// first out within a byte budget. Thread-safe. Uploads are checked like prompt images (size, format by magic
/// bytes, header dimensions) before they are kept.
/// </summary>
public sealed class ImageStore(long byteBudget = 256L << 20)
{
    private readonly object _gate = new();
    private readonly LinkedList<(string Sha, byte[] Bytes)> _lru = new();
    private readonly Dictionary<string, LinkedListNode<(string Sha, byte[] Bytes)>> _index = new(StringComparer.Ordinal);
    private long _bytes;

    public int Count { get { lock (_gate) return _index.Count; } }

    public bool TryGet(string sha256, out byte[] bytes)
    {
        lock (_gate)
        {
            if (_index.TryGetValue(sha256.ToLowerInvariant(), out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                bytes = node.Value.Bytes;
                return true;
            }
        }
        bytes = [];
        return false;
    }

    public string Put(byte[] bytes)
    {
        var sha = PromptImage.HashOf(bytes);
        lock (_gate)
        {
            if (_index.ContainsKey(sha) || bytes.Length > byteBudget) return sha;
            _index[sha] = _lru.AddFirst((sha, bytes));
            _bytes += bytes.Length;
            while (_bytes > byteBudget && _lru.Last is { } last)
            {
                _lru.RemoveLast();
                _index.Remove(last.Value.Sha);
                _bytes -= last.Value.Bytes.Length;
            }
        }
        return sha;
    }

    /// <summary>Reads an upload stream (at most <see cref="ImageLimits.MaxBytes"/>), checks the header, keeps the image.</summary>
    public async Task<ImageRef> UploadAsync(IAsyncStreamReader<ImageUploadChunk> stream, ImageLimits limits, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        while (await stream.MoveNext(ct))
        {
            if (buffer.Length + stream.Current.Data.Length > limits.MaxBytes)
                throw new InvalidFieldException("data", $"the image is larger than the limit of {limits.MaxBytes:N0} bytes");
            stream.Current.Data.WriteTo(buffer);
        }
        return Keep(buffer.ToArray(), limits);
    }

    /// <summary>A whole upload (the unary <c>PutImage</c>): checked as <see cref="UploadAsync"/> checks a stream, then kept.</summary>
    public ImageRef Keep(byte[] bytes, ImageLimits limits)
    {
        if (bytes.Length > limits.MaxBytes)
            throw new InvalidFieldException("data", $"the image is larger than the limit of {limits.MaxBytes:N0} bytes");
        ImageFormat format;
        int width, height;
        try
        {
            (format, width, height) = ImageDecoder.ReadHeader(bytes, limits);
        }
        catch (ImageDecodeException e)
        {
            throw new InvalidFieldException("data", e.Message);
        }
        return new ImageRef { Sha256 = Put(bytes), Width = width, Height = height, Format = format.ToString().ToUpperInvariant() };
    }
}
