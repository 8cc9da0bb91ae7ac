namespace UnimoG.Contracts.Tensors;

/// <summary>Tensor element types by their Open Inference Protocol names.</summary>
public enum TensorDataType { FP32, FP16, BF16, FP64, INT64, INT32, INT16, INT8, UINT8, BOOL }

public static class TensorDataTypes
{
    public static int ElementSize(this TensorDataType t) => t switch
    {
        TensorDataType.FP64 or TensorDataType.INT64 => 8,
        TensorDataType.FP32 or TensorDataType.INT32 => 4,
        TensorDataType.FP16 or TensorDataType.BF16 or TensorDataType.INT16 => 2,
        _ => 1,
    };

    public static string Name(this TensorDataType t) => t.ToString();

    /// <summary>A floating-point type (FP64, FP32, FP16, BF16).</summary>
    public static bool IsFloat(this TensorDataType t) => t is TensorDataType.FP32 or TensorDataType.FP16 or TensorDataType.BF16 or TensorDataType.FP64;

    /// <summary>Parses an OIP datatype name; names are case-sensitive as in the protocol.</summary>
    public static bool TryParse(string? name, out TensorDataType type)
    {
        type = default;
        return name is { Length: > 0 } && Enum.TryParse(name, ignoreCase: false, out type) && Enum.IsDefined(type) && name == type.ToString();
    }
}

/// <summary>Name, element type and shape of a tensor in flight.</summary>
public sealed record TensorHeader(string Name, TensorDataType DataType, long[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => checked(a * d));
    public long ByteLength => checked(ElementCount * DataType.ElementSize());
    public override string ToString() => $"{Name} {DataType}[{string.Join(", ", Shape)}]";
}

/// <summary>A tensor stream that breaks the contract: the offending tensor is named.</summary>
public sealed class TensorStreamException(string tensor, string message) : Exception($"tensor '{tensor}': {message}")
{
    public string Tensor { get; } = tensor;
}

/// <summary>Bounds on what a receiver accepts.</summary>
public sealed record TensorLimits
{
    public const int DefaultChunkBytes = 1 << 20;

    /// <summary>Largest single tensor in bytes (default 256 MiB).</summary>
    public long MaxTensorBytes { get; init; } = 256L << 20;

    /// <summary>Largest total over all tensors of one stream (default 1 GiB).</summary>
    public long MaxTotalBytes { get; init; } = 1L << 30;

    /// <summary>Largest number of dimensions.</summary>
    public int MaxRank { get; init; } = 8;

    /// <summary>Most tensors in one stream.</summary>
    public int MaxTensors { get; init; } = 16;
}
