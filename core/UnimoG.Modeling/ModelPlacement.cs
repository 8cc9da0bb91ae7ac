using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling;

/// <summary>
/// Where a model's weights live and in what precision: a device (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, or <c>meta</c> to
/// count parameters without memory) and a floating dtype (<c>float32</c>, <c>bfloat16</c>, <c>float16</c>).
/// <para>
/// Modules are built at the placement in force on the building thread (<see cref="Use"/>): every parameter is created
/// on that device in that dtype, so loading a checkpoint never makes a float32 copy of the model first (the 7.8B MLLM in
/// bfloat16 is 15.7 GB; through float32 it would need 31 GB). This is transformers' <c>_set_default_torch_dtype</c>
/// and accelerate's <c>init_on_device</c>, but per thread: libtorch's own defaults are process-wide, and a server builds
/// one model while another serves requests.
/// </para>
/// </summary>
public sealed record ModelPlacement(Device Device, ScalarType DType)
{
    [ThreadStatic] private static ModelPlacement? _current;

    public static ModelPlacement Cpu { get; } = new(CPU, ScalarType.Float32);

    /// <summary>The placement modules built on this thread now get (CPU float32 outside any <see cref="Use"/>).</summary>
    public static ModelPlacement Current => _current ?? Cpu;

    public bool IsCuda => Device.type == DeviceType.CUDA;
    public bool IsMeta => Device.type == DeviceType.META;

    /// <summary>Whether <paramref name="t"/> is already on this device in this dtype.</summary>
    public bool Holds(Tensor t) => t.dtype == DType && t.device_type == Device.type && (Device.type != DeviceType.CUDA || t.device_index == Device.index);

    /// <summary><paramref name="t"/> at this placement: itself when it is there already, else a new tensor.</summary>
    public Tensor Place(Tensor t) => Holds(t) ? t : t.to(DType, Device);

    /// <summary>Builds modules at this placement on this thread until the returned scope is disposed (scopes nest).</summary>
    public IDisposable Use()
    {
        var previous = _current;
        _current = this;
        return new Scope(previous);
    }

    /// <summary>The dtype names a setting may use, with their torch types.</summary>
    public static readonly IReadOnlyDictionary<string, ScalarType> DTypes = new Dictionary<string, ScalarType>(StringComparer.OrdinalIgnoreCase)
    {
        ["float32"] = ScalarType.Float32, ["fp32"] = ScalarType.Float32,
        ["bfloat16"] = ScalarType.BFloat16, ["bf16"] = ScalarType.BFloat16,
        ["float16"] = ScalarType.Float16, ["fp16"] = ScalarType.Float16,
    };

    /// <summary>The canonical name of a dtype: float32, bfloat16, float16.</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => dtype.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Parses settings; null and a message naming <paramref name="deviceKey"/> or <paramref name="dtypeKey"/> when one
    /// is not valid here (a CUDA device on a build or machine without CUDA is refused now, not at the first request).
    /// </summary>
    public static (ModelPlacement? Placement, string? Problem) TryParse(string device, string dtype, string deviceKey = "device", string dtypeKey = "dtype")
    {
        if (!DTypes.TryGetValue(dtype.Trim(), out var type))
            return (null, $"{dtypeKey} must be float32, bfloat16 or float16, got '{dtype}'.");
        var d = device.Trim().ToLowerInvariant();
        if (d == "cpu") return (new ModelPlacement(CPU, type), null);
        if (d == "meta") return (new ModelPlacement(META, type), null);
        if (d != "cuda" && !(d.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(d[5..], out var n) && n >= 0))
            return (null, $"{deviceKey} must be cpu, cuda or cuda:N, got '{device}'.");
        if (!cuda.is_available())
            return (null, $"{deviceKey} is '{device}', but this build has no CUDA device (TorchSharp-cpu, or no GPU visible): build with -p:TorchBackend=cuda on a machine with a GPU, or set {deviceKey}=cpu.");
        var index = d == "cuda" ? 0 : int.Parse(d[5..], System.Globalization.CultureInfo.InvariantCulture);
        if (index >= cuda.device_count())
            return (null, $"{deviceKey} is '{device}', but only {cuda.device_count()} CUDA device(s) are visible.");
        return (new ModelPlacement(torch.device(DeviceType.CUDA, index), type), null);
    }

    public static ModelPlacement Parse(string device, string dtype, string deviceKey = "device", string dtypeKey = "dtype") =>
        TryParse(device, dtype, deviceKey, dtypeKey) is { Placement: { } p } ? p
            : throw new ArgumentException(TryParse(device, dtype, deviceKey, dtypeKey).Problem);

    public override string ToString() => $"{Device} {Name(DType)}";

    private sealed class Scope(ModelPlacement? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }
}
