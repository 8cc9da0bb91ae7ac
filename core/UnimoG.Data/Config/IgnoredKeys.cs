using System.Text.Json;

namespace UnimoG.Data.Config;

/// <summary>
/// The keys of a file that its record does not declare, kept as read (a <c>[JsonExtensionData]</c> property of the
/// reference libraries' config records) and written back. Compared by value, so a record read twice from the same
/// text is equal.
/// </summary>
public sealed class IgnoredKeys : Dictionary<string, JsonElement>, IEquatable<IgnoredKeys>
{
    public IgnoredKeys() : base(StringComparer.Ordinal) { }

    public bool Equals(IgnoredKeys? other) =>
        other is not null && Count == other.Count && this.All(p => other.TryGetValue(p.Key, out var v) && JsonElement.DeepEquals(p.Value, v));

    public override bool Equals(object? obj) => Equals(obj as IgnoredKeys);

    public override int GetHashCode() => Count;
}
