using UnimoG.Engines.DataPrep.Shards;

namespace UnimoG.Engines.DataPrep.Pipeline;

/// <summary>A sample in: its key and members by extension (<c>jpg|jpeg|png|webp</c>, <c>txt</c>, optional <c>json</c>, <c>layer{i}.png</c>).</summary>
public sealed record RawSample(string Key, IReadOnlyDictionary<string, byte[]> Members);

/// <summary>A prepared sample: tar members in write order (image, json, segments) and its counts; or an error.</summary>
public sealed record PrepResult(string Key, IReadOnlyList<(string Name, byte[] Data)> Members, SampleRecord? Record, string? Error)
{
    public bool Ok => Error is null;
}
