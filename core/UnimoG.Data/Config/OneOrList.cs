using System.Globalization;
using System.Text.Json.Serialization;

namespace UnimoG.Data.Config;

/// <summary>
/// One value, or a list of them: diffusers' "int or tuple" settings (<c>layers_per_block: 2</c> or <c>[1, 2, 2]</c>),
/// nested for per-layer settings (<c>transformer_layers_per_block: [1, [2, 3]]</c>). Written back as it was given.
/// </summary>
[JsonConverter(typeof(OneOrListConverter))]
public sealed class OneOrList<T> : IEquatable<OneOrList<T>>
{
    private readonly T _one = default!;

    /// <summary>The list, or null when one value stands for every index.</summary>
    public IReadOnlyList<T>? Items { get; }

    public OneOrList(T one) => _one = one;

    public OneOrList(IReadOnlyList<T> items) => Items = items;

    public static implicit operator OneOrList<T>(T one) => new(one);

    public bool IsList => Items is not null;

    public T At(int index) => Items is { } items ? items[index] : _one;

    /// <summary>How many values: the list's length, or <paramref name="whenOne"/>.</summary>
    public int Count(int whenOne) => Items?.Count ?? whenOne;

    public bool Equals(OneOrList<T>? other) => other is not null && (Items is { } a
        ? other.Items is { } b && a.SequenceEqual(b)
        : other.Items is null && EqualityComparer<T>.Default.Equals(_one, other._one));

    public override bool Equals(object? obj) => Equals(obj as OneOrList<T>);

    public override int GetHashCode() => Items is { } items ? items.Count : EqualityComparer<T>.Default.GetHashCode(_one!);

    public override string ToString() => Items is { } items ? $"[{string.Join(", ", items.Select(Show))}]" : Show(_one);

    private static string Show(T v) => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null";
}
