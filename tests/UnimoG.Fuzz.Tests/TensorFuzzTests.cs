using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using Xunit.Abstractions;

namespace UnimoG.Fuzz.Tests;

/// <summary>
/// The tensor stream reassembly (<see cref="TensorAssembler"/>, and the torch one the services use): any sequence of
/// chunks gives tensors or a <see cref="TensorStreamException"/>, never another exception, and never allocates beyond
/// the limits; an unedited stream always reassembles to the bytes sent.
/// </summary>
public class TensorFuzzTests(ITestOutputHelper output)
{
    private static readonly TensorLimits Limits = new() { MaxTensorBytes = 4096, MaxTotalBytes = 6000, MaxRank = 4, MaxTensors = 3 };

    [Fact]
    public void Chunk_streams_assemble_or_fail_typed_within_the_limits() =>
        Fuzz.Run(output, "tensor assembler", TensorStreamCase.Arbitrary, Check);

    internal static void Check(TensorStreamCase c)
    {
        long allocated = 0;
        string? Count(TensorHeader h)
        {
            Assert.True(h.ByteLength <= Limits.MaxTensorBytes, $"{h} allocated beyond the per-tensor limit");
            allocated += h.ByteLength;
            return null;
        }
        using var assembler = c.Torch
            ? TorchTensorStreams.Assembler(Limits, Count)
            : new TensorAssembler(Limits, h => { Count(h); return new ArrayTensorBuffer(h.ByteLength); });
        var received = new Dictionary<string, byte[]>();
        try
        {
            foreach (var chunk in c.Chunks()) assembler.Accept(chunk);
            assembler.Complete();
            foreach (var name in assembler.Tensors.Keys.ToList()) received[name] = Take(assembler, name, c.Torch);
        }
        catch (TensorStreamException e)
        {
            Assert.False(c.Edits.Length == 0 && c.Tensors.Length <= Limits.MaxTensors && Fits(c), $"an unedited stream was refused: {e.Message}");
            Assert.StartsWith("tensor '", e.Message, StringComparison.Ordinal);
        }
        Assert.True(allocated <= Limits.MaxTotalBytes, $"{allocated} bytes allocated; the stream limit is {Limits.MaxTotalBytes}");
        if (c.Edits.Length > 0 || received.Count == 0) return;
        foreach (var t in c.Tensors)
            Assert.Equal(Enumerable.Range(0, (int)t.Header.ByteLength).Select(i => (byte)(i % 251)), received[t.Name]);
    }

    private static bool Fits(TensorStreamCase c) =>
        c.Tensors.All(t => t.Header.ByteLength <= Limits.MaxTensorBytes && t.Shape.Length <= Limits.MaxRank)
        && c.Tensors.Sum(t => t.Header.ByteLength) <= Limits.MaxTotalBytes;

    private static byte[] Take(TensorAssembler assembler, string name, bool torch)
    {
        if (!torch) return WireTensor.Take(assembler, name).Bytes.ToArray();
        using var tensor = assembler.TakeTensor(name);
        return tensor.bytes.ToArray();
    }
}
