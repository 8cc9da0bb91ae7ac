using UnimoG.Modeling.Images;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Images;

public class PixelRangeTests
{
    [Fact]
    public void Bytes_map_linearly_onto_minus_one_to_one_and_back()
    {
        using var bytes = tensor(new byte[] { 0, 51, 255 });
        using var signed = PixelRange.ToSigned(bytes);
        Assert.Equal(ScalarType.Float32, signed.dtype);
        Assert.Equal([-1f, 51 / 127.5f - 1, 1f], signed.data<float>().ToArray());
        using var back = PixelRange.ToUint8(signed);
        Assert.Equal([0, 51, 255], back.data<byte>().ToArray());
        // out of range clamps; 0 -> 127.5 -> 128 (round half to even, as numpy)
        using var odd = PixelRange.ToUint8(tensor(new[] { -3f, 0f, 2f }));
        Assert.Equal([0, 128, 255], odd.data<byte>().ToArray());
    }
}
