using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using UnimoG.Modeling.Checkpoints;
using static TorchSharp.torch;

namespace UnimoG.Engines.Trainer.Data;

/// <summary>
/// A folder of tensors keyed by sample: <c>manifest.json</c> (format, kind, settings, and per shard its file and keys)
/// and safetensors shards <c>{kind}-00000.safetensors</c> whose tensors are named <c>{key}/{name}</c>, with per-key text
/// in the shard metadata (<c>{key}/{field}</c>). Written by <c>unimog encode-dataset</c>; read during training.
/// </summary>
public sealed class TensorStoreWriter
{
    private readonly string _folder;
    private readonly string _kind;
    private readonly JsonObject _settings;
    private readonly long _shardBytes;
    private readonly List<KeyValuePair<string, Tensor>> _pending = [];
    private readonly Dictionary<string, string> _pendingMeta = new(StringComparer.Ordinal);
    private readonly List<string> _pendingKeys = [];
    private readonly JsonArray _shards = [];
    private long _bytes;

    public int Count { get; private set; }

    public TensorStoreWriter(string folder, string kind, JsonObject settings, long shardBytes = 256L << 20)
    {
        _folder = folder;
        _kind = kind;
        _settings = settings;
        _shardBytes = shardBytes;
        Directory.CreateDirectory(folder);
    }

    /// <summary>Adds one key's tensors (copied to the CPU; the caller keeps its own).</summary>
    public void Add(string key, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? text = null)
    {
        if (key.Contains('/')) throw new ArgumentException($"key '{key}' must not contain '/'");
        foreach (var (name, t) in tensors)
        {
            var copy = t.detach().cpu().contiguous().clone();
            copy.DetachFromDisposeScope();
            _pending.Add(KeyValuePair.Create($"{key}/{name}", copy));
            _bytes += copy.NumberOfElements * copy.ElementSize;
        }
        foreach (var (field, value) in text ?? new Dictionary<string, string>()) _pendingMeta[$"{key}/{field}"] = value;
        _pendingKeys.Add(key);
        Count++;
        if (_bytes >= _shardBytes) Flush();
    }

    private void Flush()
    {
        if (_pendingKeys.Count == 0) return;
        var file = $"{_kind}-{_shards.Count:D5}.safetensors";
        var meta = new Dictionary<string, string>(_pendingMeta) { ["format"] = "pt" };
        SafetensorsWriter.Save(Path.Combine(_folder, file), _pending, meta);
        _shards.Add(new JsonObject { ["file"] = file, ["keys"] = new JsonArray([.. _pendingKeys.Select(k => (JsonNode)k)]) });
        foreach (var (_, t) in _pending) t.Dispose();
        _pending.Clear();
        _pendingMeta.Clear();
        _pendingKeys.Clear();
        _bytes = 0;
        WriteManifest();
    }

    /// <summary>Writes the last shard and the manifest (atomically: temporary file, then rename).</summary>
    public void Complete()
    {
        Flush();
        WriteManifest();
    }

    private void WriteManifest()
    {
        var manifest = new JsonObject
        {
            ["format"] = "unimog-tensor-store/1",
            ["kind"] = _kind,
            ["settings"] = _settings.DeepClone(),
            ["count"] = Count,
            ["shards"] = _shards.DeepClone(),
        };
        var path = Path.Combine(_folder, "manifest.json");
        File.WriteAllText(path + ".tmp", manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

/// <summary>Reads a <see cref="TensorStoreWriter"/> folder. Thread-safe; shards are opened once (headers only).</summary>
public sealed class TensorStore
{
    private readonly Dictionary<string, string> _shardOf = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SafetensorsFile> _open = new(StringComparer.Ordinal);

    public string Folder { get; }
    public string Kind { get; }
    public JsonObject Settings { get; }
    public int Count => _shardOf.Count;

    public TensorStore(string folder, string expectedKind)
    {
        Folder = folder;
        var path = Path.Combine(folder, "manifest.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{expectedKind} cache: no manifest.json in {folder} (write it with unimog encode-dataset)", path);
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        if ((string?)manifest["format"] != "unimog-tensor-store/1") throw new InvalidDataException($"{path}: format is not unimog-tensor-store/1");
        Kind = (string?)manifest["kind"] ?? "";
        if (Kind != expectedKind) throw new InvalidDataException($"{path}: this is a '{Kind}' cache, not a '{expectedKind}' cache");
        Settings = manifest["settings"]?.AsObject() ?? [];
        foreach (var shard in manifest["shards"]!.AsArray())
        {
            var file = (string)shard!["file"]!;
            foreach (var key in shard["keys"]!.AsArray()) _shardOf[(string)key!] = file;
        }
    }

    public bool Contains(string key) => _shardOf.ContainsKey(key);

    private SafetensorsFile Shard(string key, string what)
    {
        if (!_shardOf.TryGetValue(key, out var file))
            throw new KeyNotFoundException($"{Kind} cache {Folder}: no entry for {what} '{key}' (re-run unimog encode-dataset for this data)");
        return _open.GetOrAdd(file, f => SafetensorsFile.Open(Path.Combine(Folder, f)));
    }

    public Tensor Read(string key, string name, string what = "sample") => Shard(key, what).Read($"{key}/{name}");

    public string? Text(string key, string field) => Shard(key, "sample").Metadata.TryGetValue($"{key}/{field}", out var v) ? v : null;
}
