using UnimoG.TestSupport;
using UnimoG.Client.Torch;
using UnimoG.Contracts.Tensors;
using static TorchSharp.torch;

namespace UnimoG.Services.Tests;

/// <summary>Torch tensors on the wire: chunks wrap native memory; received chunks land in a preallocated tensor.</summary>
public sealed class TensorStreamingTests
{
    [Fact]
    public void Chunks_wrap_the_tensors_memory_without_copying()
    {
        using var t = arange(0, 1000, dtype: ScalarType.Float32).reshape(10, 100);
        var chunks = TorchTensorStreams.Chunks("x", t, chunkBytes: 1000).ToList();
        Assert.Equal(4, chunks.Count);
        Assert.Equal("FP32", chunks[0].Datatype);
        Assert.Equal([10L, 100], chunks[0].Shape);
        t[9, 99] = tensor(-1f);   // a write to the tensor after chunking shows in the chunk: same memory
        Assert.Equal(-1f, BitConverter.ToSingle(chunks[^1].Data.Span[^4..]));
        var copied = TorchTensorStreams.CopiedChunks("x", t, chunkBytes: 1000).ToList();
        t[9, 99] = tensor(5f);
        Assert.Equal(-1f, BitConverter.ToSingle(copied[^1].Data.Span[^4..]));
        Assert.Throws<ArgumentException>(() => TorchTensorStreams.Chunks("t", t.t()).ToList());
    }

    [Fact]
    public void Chunks_reassemble_into_a_torch_tensor_exactly()
    {
        using var source = randn(3, 5, 7, dtype: ScalarType.Float32);
        using var mask = tensor(new long[] { 1, 1, 0 });
        using var assembler = TorchTensorStreams.Assembler();
        foreach (var c in TorchTensorStreams.Chunks("h", source, 64).Concat(TorchTensorStreams.Chunks("m", mask))) assembler.Accept(c);
        assembler.Complete();
        using var h = assembler.TakeTensor("h");
        using var m = assembler.TakeTensor("m");
        TensorAssert.Identical(source, h, "h");
        Assert.Equal(ScalarType.Int64, m.dtype);
        Assert.Equal([1L, 1, 0], m.data<long>().ToArray());
        Assert.Throws<TensorStreamException>(() => assembler.TakeTensor("h"));
    }
}
