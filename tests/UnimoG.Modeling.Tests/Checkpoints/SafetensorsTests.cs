using System.Text;
using TorchSharp;
using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Checkpoints;

public class SafetensorsTests
{
    [Fact]
    public void Reads_the_diffusers_fixture_header()
    {
        var f = SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "unet", "diffusion_pytorch_model.safetensors"));
        // README of the fixture: 208 tensors, 792,964 parameters, all F32.
        Assert.Equal(208, f.Entries.Count);
        Assert.Equal(792_964L, f.Entries.Values.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.All(f.Entries.Values, e => Assert.Equal("F32", e.DType));
        Assert.Equal("pt", f.Metadata["format"]);
    }

    [Fact]
    public void Reads_int64_and_float_values()
    {
        var f = SafetensorsFile.Open(RepoPaths.Fixtures("diffusers-a", "ddim_io.safetensors"));
        using var ts = f.Read("timesteps_10");
        Assert.Equal(ScalarType.Int64, ts.dtype);
        Assert.Equal(new long[] { 901, 801, 701, 601, 501, 401, 301, 201, 101, 1 }, ts.data<long>().ToArray());
        using var ac = f.Read("alphas_cumprod");
        // alphas_cumprod[0] = 1 - beta_0 = 1 - 0.00085.
        Assert.Equal(0.99915f, ac[0].item<float>(), 6);
    }

    [Fact]
    public void Decodes_hand_written_half_and_bfloat16()
    {
        // F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 1.0 = 0x3F80, 0.5 = 0x3F00 (little-endian on disk).
        var header = """{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]}}""";
        var path = WriteRaw(header, [0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x3F]);
        var f = SafetensorsFile.Open(path);
        using var a = f.Read("a", ScalarType.Float32);
        using var b = f.Read("b", ScalarType.Float32);
        Assert.Equal(new[] { 1f, -2f }, a.data<float>().ToArray());
        Assert.Equal(new[] { 1f, 0.5f }, b.data<float>().ToArray());
    }

    [Fact]
    public void Rejects_offsets_that_do_not_fit_the_shape()
    {
        var header = """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""";
        var path = WriteRaw(header, new byte[8]);
        var e = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Open(path));
        Assert.Contains("'a'", e.Message);
    }

    [Fact]
    public void Writes_the_layout_of_the_format()
    {
        var path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        using (var z = torch.tensor(new[] { 1.5f, -2f }))
        using (var y = torch.tensor(new long[] { 7 }))
            SafetensorsWriter.Save(path, [new("z", z), new("y", y)]);
        var bytes = File.ReadAllBytes(path);
        var n = (int)BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0, n % 8);
        var json = Encoding.UTF8.GetString(bytes, 8, n).TrimEnd(' ');
        Assert.Equal("""{"__metadata__":{"format":"pt"},"y":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"z":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", json);
        Assert.Equal(7L, BitConverter.ToInt64(bytes, 8 + n));
        Assert.Equal(1.5f, BitConverter.ToSingle(bytes, 8 + n + 8));
        Assert.Equal(-2f, BitConverter.ToSingle(bytes, 8 + n + 12));
        File.Delete(path);
    }

    internal static string WriteRaw(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var path = Path.Combine(Path.GetTempPath(), $"st-{Guid.NewGuid():N}.safetensors");
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes((ulong)h.Length));
        fs.Write(h);
        fs.Write(data);
        return path;
    }
}
