using System.Globalization;
using UnimoG.Engines.DataPrep.Onnx;
using UnimoG.Engines.DataPrep.Pipeline;
using UnimoG.Data.Config;

namespace UnimoG.Engines.DataPrep;

/// <summary>
/// Section <c>DataPrep</c>: the pipeline the service (and its batch-job mode) runs, the limits of the online API, and
/// the batch job's folders and shard slice. Every key mirrors an option of <c>unimog prep</c> (docs/dataprep.md).
/// </summary>
public sealed class DataPrepOptions : IValidatedOptions
{
    public const string Section = "DataPrep";

    /// <summary><c>metadata</c>, <c>rules-en</c> or <c>rules-zh</c> (<c>mllm</c> needs a generative MLLM loader, which this build lacks).</summary>
    public string Entities { get; set; } = "metadata";

    /// <summary>Grounding DINO ONNX export; with <see cref="BertVocab"/>. Without it only boxes from metadata or alpha are used.</summary>
    public string? GroundingModel { get; set; }

    public string? BertVocab { get; set; }
    public float BoxThreshold { get; set; } = 0.35f;
    public float TextThreshold { get; set; } = 0.25f;
    public string? SamEncoder { get; set; }
    public string? SamDecoder { get; set; }

    /// <summary><c>sam</c>, <c>alpha</c> or <c>box</c>; empty means <c>sam</c> when the SAM models are set.</summary>
    public string? Masks { get; set; }

    public double ReplaceRate { get; set; } = 0.5;
    public double TextOnlyShare { get; set; } = 0.1;
    public long Seed { get; set; }
    public int MaxEntities { get; set; } = 8;

    /// <summary>ONNX Runtime intra-op threads per model.</summary>
    public int Threads { get; set; } = 1;

    /// <summary><c>cpu</c> or <c>cuda</c> (falls back to the CPU with a warning).</summary>
    public string Device { get; set; } = OnnxSessions.GpuBuild ? "cuda" : "cpu";

    // Limits of one sample (online API; the pixel and caption limits apply to the batch job too).

    /// <summary>Largest encoded image (and layer) a Prepare call accepts; more is InvalidArgument naming the field.</summary>
    public int MaxImageBytes { get; set; } = 6 << 20;

    /// <summary>Most pixels of a decoded image; more is that sample's error (checked from the header).</summary>
    public long MaxImagePixels { get; set; } = 64L << 20;

    public int MaxCaptionChars { get; set; } = 2000;
    public int MaxMetadataBytes { get; set; } = 64 << 10;

    // The batch job: set Input and Output and the service prepares those shards at start-up, then exits.

    /// <summary>Folder of input <c>*.tar</c> shards; with <see cref="Output"/> turns on the batch job.</summary>
    public string? Input { get; set; }

    public string? Output { get; set; }

    /// <summary>Shards prepared in parallel by this process.</summary>
    public int Workers { get; set; } = 1;

    /// <summary>This process prepares the input shards whose position (in name order) modulo <see cref="ShardCount"/> is <see cref="Shard"/>.</summary>
    public int Shard { get; set; }

    public int ShardCount { get; set; } = 1;

    public bool IsJob => !string.IsNullOrWhiteSpace(Input) || !string.IsNullOrWhiteSpace(Output);

    public MaskMode MaskMode => Masks?.ToLowerInvariant() switch
    {
        "alpha" => MaskMode.Alpha,
        "box" => MaskMode.Box,
        _ => MaskMode.Sam,
    };

    public PrepOptions PrepOptions => new()
    {
        ReplaceRate = ReplaceRate, TextOnlyShare = TextOnlyShare, Seed = Seed, Masks = MaskMode, MaxEntities = MaxEntities,
        MaxPixels = MaxImagePixels, MaxCaptionChars = MaxCaptionChars,
    };

    public OnnxOptions OnnxOptions => new() { Device = Device, IntraOpThreads = Threads };

    public IEnumerable<string> Validate(string s)
    {
        if (Entities is "mllm")
            yield return $"{s}:Entities 'mllm' needs a generative MLLM, and this build has no loader for one yet; use metadata, rules-en or rules-zh.";
        else if (Entities is not ("metadata" or "rules-en" or "rules-zh"))
            yield return $"{s}:Entities must be metadata, rules-en or rules-zh, got '{Entities}'.";
        var hasSam = !string.IsNullOrWhiteSpace(SamEncoder) || !string.IsNullOrWhiteSpace(SamDecoder);
        if (string.IsNullOrWhiteSpace(SamEncoder) != string.IsNullOrWhiteSpace(SamDecoder))
            yield return $"{s}:SamEncoder and {s}:SamDecoder go together: set both or neither.";
        if (Masks is { Length: > 0 } m && m.ToLowerInvariant() is not ("sam" or "alpha" or "box"))
            yield return $"{s}:Masks must be sam, alpha or box, got '{Masks}'.";
        else if (string.IsNullOrWhiteSpace(Masks) && !hasSam)
            yield return $"{s}:Masks is not set: choose sam (with {s}:SamEncoder and {s}:SamDecoder), alpha or box.";
        else if (MaskMode == MaskMode.Sam && !hasSam)
            yield return $"{s}:Masks sam needs {s}:SamEncoder and {s}:SamDecoder.";
        else if (MaskMode != MaskMode.Sam && hasSam)
            yield return $"{s}:Masks {Masks} does not use the SAM models set in {s}:SamEncoder/{s}:SamDecoder.";
        if (!string.IsNullOrWhiteSpace(GroundingModel) && string.IsNullOrWhiteSpace(BertVocab))
            yield return $"{s}:GroundingModel needs {s}:BertVocab (the bert-base-uncased vocab.txt).";
        foreach (var (key, path) in new[] { ("GroundingModel", GroundingModel), ("BertVocab", BertVocab), ("SamEncoder", SamEncoder), ("SamDecoder", SamDecoder) })
            if (!string.IsNullOrWhiteSpace(path) && !File.Exists(path))
                yield return $"{s}:{key} names a file that does not exist: '{path}'.";
        if (BoxThreshold is < 0 or > 1 || float.IsNaN(BoxThreshold)) yield return $"{s}:BoxThreshold must be in [0, 1], got {F(BoxThreshold)}.";
        if (TextThreshold is < 0 or > 1 || float.IsNaN(TextThreshold)) yield return $"{s}:TextThreshold must be in [0, 1], got {F(TextThreshold)}.";
        if (ReplaceRate is < 0 or > 1 || double.IsNaN(ReplaceRate)) yield return $"{s}:ReplaceRate must be in [0, 1], got {F(ReplaceRate)}.";
        if (TextOnlyShare is < 0 or > 1 || double.IsNaN(TextOnlyShare)) yield return $"{s}:TextOnlyShare must be in [0, 1], got {F(TextOnlyShare)}.";
        if (MaxEntities < 1) yield return $"{s}:MaxEntities must be at least 1, got {MaxEntities}.";
        if (Threads < 1) yield return $"{s}:Threads must be at least 1, got {Threads}.";
        if (Device is not ("cpu" or "cuda")) yield return $"{s}:Device must be cpu or cuda, got '{Device}'.";
        if (MaxImageBytes < 1) yield return $"{s}:MaxImageBytes must be positive, got {MaxImageBytes}.";
        if (MaxImagePixels < 1) yield return $"{s}:MaxImagePixels must be positive, got {MaxImagePixels}.";
        if (MaxCaptionChars < 1) yield return $"{s}:MaxCaptionChars must be positive, got {MaxCaptionChars}.";
        if (MaxMetadataBytes < 0) yield return $"{s}:MaxMetadataBytes must not be negative, got {MaxMetadataBytes}.";
        if (string.IsNullOrWhiteSpace(Input) != string.IsNullOrWhiteSpace(Output))
            yield return $"{s}:Input and {s}:Output go together: set both for the batch job, or neither for the service alone.";
        else if (IsJob && Path.GetFullPath(Input!).TrimEnd('/') == Path.GetFullPath(Output!).TrimEnd('/'))
            yield return $"{s}:Output must be a different folder from {s}:Input.";
        else if (IsJob && !Directory.Exists(Input))
            yield return $"{s}:Input names a folder that does not exist: '{Input}'.";
        if (Workers < 1) yield return $"{s}:Workers must be at least 1, got {Workers}.";
        if (ShardCount < 1) yield return $"{s}:ShardCount must be at least 1, got {ShardCount}.";
        else if (Shard < 0 || Shard >= ShardCount) yield return $"{s}:Shard must be between 0 and {s}:ShardCount - 1 = {ShardCount - 1}, got {Shard}.";
    }

    private static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
