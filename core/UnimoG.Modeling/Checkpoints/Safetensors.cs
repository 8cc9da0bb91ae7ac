using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafetensorsEntry(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// Reads a safetensors file: an 8-byte little-endian header length, a JSON header (name -> dtype,
/// shape, data_offsets relative to the end of the header), then the raw little-endian bytes.
/// Tensors are read on demand straight into native tensor memory (no managed copy of the data).
/// </summary>
public sealed class SafetensorsFile
{
    private readonly long _dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafetensorsFile(string path, long dataStart, Dictionary<string, SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"safetensors file not found: {path}", path);
        using var fs = File.OpenRead(path);
        Span<byte> lenBytes = stackalloc byte[8];
        if (fs.Read(lenBytes) != 8) throw new InvalidDataException($"{path}: too short to be a safetensors file");
        var headerLen = BitConverter.ToUInt64(lenBytes);
        if (headerLen == 0 || headerLen > 100_000_000 || (long)headerLen > fs.Length - 8)
            throw new InvalidDataException($"{path}: invalid safetensors header length {headerLen}");
        var header = new byte[headerLen];
        fs.ReadExactly(header);
        var dataStart = 8 + (long)headerLen;
        var dataLength = fs.Length - dataStart;

        var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(header);
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var dtype = prop.Value.GetProperty("dtype").GetString()!;
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var entry = new SafetensorsEntry(prop.Name, dtype, shape, offsets[0], offsets[1]);
            var expected = shape.Aggregate(1L, (a, b) => a * b) * DTypes.ByteSize(dtype, path, prop.Name);
            if (offsets.Length != 2 || entry.ByteLength != expected || entry.Begin < 0 || entry.End > dataLength)
                throw new InvalidDataException(
                    $"{path}: tensor '{prop.Name}' has offsets [{string.Join(", ", offsets)}] that do not fit its {dtype} shape [{string.Join(", ", shape)}] or the file");
            entries[prop.Name] = entry;
        }
        return new SafetensorsFile(path, dataStart, entries, metadata);
    }

    /// <summary>Reads one tensor in its stored dtype, or converted to <paramref name="dtype"/>.</summary>
    public Tensor Read(string name, ScalarType? dtype = null)
    {
        if (!Entries.TryGetValue(name, out var e))
            throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
        var stored = DTypes.ToScalarType(e.DType, Path, name);
        var t = torch.empty(e.Shape, stored);
        if (e.ByteLength > 0)
        {
            using var fs = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            fs.Seek(_dataStart + e.Begin, SeekOrigin.Begin);
            ReadInto(fs, t);
        }
        if (dtype is { } d && d != stored)
        {
            var converted = t.to_type(d);
            t.Dispose();
            return converted;
        }
        return t;
    }

    private static void ReadInto(Stream s, Tensor t)
    {
        // Spans are int-sized: read tensors over 1 GiB through element windows of the flat tensor.
        using var flat = t.view(-1);
        var elementSize = t.ElementSize;
        var perWindow = (1L << 30) / elementSize;
        for (long start = 0; start < flat.shape[0]; start += perWindow)
        {
            using var window = flat.narrow(0, start, Math.Min(perWindow, flat.shape[0] - start));
            s.ReadExactly(window.bytes);
        }
    }
}

/// <summary>Writes safetensors files: metadata first, entries sorted by name, data packed in that order.</summary>
public static class SafetensorsWriter
{
    private static void WriteFrom(Stream s, Tensor c)
    {
        if (c.NumberOfElements == 0) return;
        using var flat = c.view(-1);
        var perWindow = (1L << 30) / c.ElementSize;
        for (long start = 0; start < flat.shape[0]; start += perWindow)
        {
            using var window = flat.narrow(0, start, Math.Min(perWindow, flat.shape[0] - start));
            s.Write(window.bytes);
        }
    }

    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var contiguous = new List<Tensor>(items.Count);
        try
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata ?? new Dictionary<string, string> { ["format"] = "pt" })
                    w.WriteString(k, v);
                w.WriteEndObject();
                long offset = 0;
                foreach (var (name, tensor) in items)
                {
                    var c = tensor.detach().cpu().contiguous();
                    contiguous.Add(c);
                    var bytes = c.NumberOfElements * c.ElementSize;
                    w.WriteStartObject(name);
                    w.WriteString("dtype", DTypes.ToName(c.dtype, name));
                    w.WriteStartArray("shape");
                    foreach (var d in c.shape) w.WriteNumberValue(d);
                    w.WriteEndArray();
                    w.WriteStartArray("data_offsets");
                    w.WriteNumberValue(offset);
                    w.WriteNumberValue(offset + bytes);
                    w.WriteEndArray();
                    w.WriteEndObject();
                    offset += bytes;
                }
                w.WriteEndObject();
            }
            var header = ms.ToArray();
            var padded = (header.Length + 7) / 8 * 8;
            var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            Directory.CreateDirectory(dir);
            // Write to a temporary name, then rename: a crash never leaves a truncated checkpoint.
            var tmp = path + ".tmp-" + Environment.ProcessId;
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                fs.Write(BitConverter.GetBytes((ulong)padded));
                fs.Write(header);
                for (var i = header.Length; i < padded; i++) fs.WriteByte((byte)' ');
                foreach (var c in contiguous)
                    WriteFrom(fs, c);
                fs.Flush(true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            foreach (var c in contiguous) c.Dispose();
        }
    }
}

/// <summary>safetensors dtype names and their TorchSharp scalar types.</summary>
public static class DTypes
{
    public static ScalarType ToScalarType(string name, string file, string tensor) => name switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidDataException($"{file}: tensor '{tensor}' has unsupported dtype '{name}'"),
    };

    public static int ByteSize(string name, string file, string tensor) => name switch
    {
        "F64" or "I64" => 8,
        "F32" or "I32" => 4,
        "F16" or "BF16" or "I16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => throw new InvalidDataException($"{file}: tensor '{tensor}' has unsupported dtype '{name}'"),
    };

    public static string ToName(ScalarType t, string tensor) => t switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"tensor '{tensor}': dtype {t} cannot be written to safetensors"),
    };
}
