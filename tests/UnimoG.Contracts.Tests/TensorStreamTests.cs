using Google.Protobuf;
using UnimoG.Contracts.Tensors;
using UnimoG.Contracts.V1;

namespace UnimoG.Contracts.Tests;

public class TensorStreamTests
{
    private static readonly TensorLimits Limits = new();

    private static byte[] Floats(int n) => Enumerable.Range(0, n).SelectMany(i => BitConverter.GetBytes(i * 0.5f)).ToArray();

    [Fact]
    public void Splits_into_bounded_whole_element_chunks_and_reassembles_exactly()
    {
        var data = Floats(1000); // 4000 bytes
        var header = new TensorHeader("x", TensorDataType.FP32, [10, 100]);
        var chunks = TensorChunker.Split(header, data, chunkBytes: 1001).ToList();
        Assert.Equal(4, chunks.Count); // 1000-byte chunks: 1001 rounded down to whole floats
        Assert.All(chunks, c => Assert.True(c.Data.Length <= 1001 && c.Data.Length % 4 == 0));
        Assert.Equal([0L, 1000, 2000, 3000], chunks.Select(c => c.ByteOffset));
        Assert.Equal([false, false, false, true], chunks.Select(c => c.Last));
        Assert.Equal("FP32", chunks[0].Datatype);

        using var a = new TensorAssembler(Limits);
        foreach (var c in chunks) a.Accept(c);
        a.Complete();
        var (h, buffer) = a.Take("x");
        Assert.Equal(header.Shape, h.Shape);
        Assert.Equal(data, buffer.Bytes.ToArray());
        Assert.Equal(499.5f, BitConverter.ToSingle(buffer.Bytes[3996..]));
    }

    [Fact]
    public void Empty_tensor_is_one_last_chunk()
    {
        var chunks = TensorChunker.Split(new TensorHeader("e", TensorDataType.INT64, [0, 3]), ReadOnlyMemory<byte>.Empty).ToList();
        Assert.Single(chunks);
        Assert.True(chunks[0].Last);
        using var a = new TensorAssembler(Limits);
        a.Accept(chunks[0]);
        Assert.Equal(0, a.Take("e").Buffer.Bytes.Length);
    }

    private static TensorChunk Chunk(string name, string dtype, long[] shape, long offset, int bytes, bool last) =>
        new() { Name = name, Datatype = dtype, Shape = { shape }, ByteOffset = offset, Data = ByteString.CopyFrom(new byte[bytes]), Last = last };

    public static TheoryData<TensorChunk[], string> BadStreams => new()
    {
        { [Chunk("a", "FP33", [2], 0, 8, true)], "unknown datatype 'FP33'" },
        { [Chunk("a", "fp32", [2], 0, 8, true)], "unknown datatype 'fp32'" },
        { [Chunk("a", "FP32", [2], 4, 4, true)], "starts at byte 4" },
        { [Chunk("a", "FP32", [4], 0, 8, false), Chunk("a", "", [], 12, 4, true)], "skips (expected byte 8)" },
        { [Chunk("a", "FP32", [4], 0, 8, false), Chunk("a", "", [], 4, 8, true)], "overlaps (expected byte 8)" },
        { [Chunk("a", "FP32", [2], 0, 4, true)], "last chunk after 4 of 8 bytes" },
        { [Chunk("a", "FP32", [2], 0, 12, true)], "12 bytes received, more than the 8" },
        { [Chunk("a", "FP32", [1L << 40], 0, 4, false)], "exceeds the limit" },
        { [Chunk("a", "FP32", [-1], 0, 4, true)], "negative dimension" },
        { [Chunk("a", "FP32", [2], 0, 8, true), Chunk("a", "FP32", [2], 0, 8, true)], "sent twice" },
        { [Chunk("a", "FP32", [4], 0, 8, false), Chunk("b", "FP32", [1], 0, 4, true)], "ended after 8 of 16 bytes" },
        { [Chunk("a", "FP32", [4], 0, 8, false), Chunk("a", "FP16", [], 8, 8, true)], "datatype changed" },
    };

    [Theory]
    [MemberData(nameof(BadStreams))]
    public void Rejects_broken_streams_naming_the_tensor(TensorChunk[] chunks, string expected)
    {
        using var a = new TensorAssembler(Limits);
        var e = Assert.Throws<TensorStreamException>(() => { foreach (var c in chunks) a.Accept(c); });
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("tensor '", e.Message);
    }

    [Fact]
    public void Stream_that_stops_mid_tensor_is_incomplete()
    {
        using var a = new TensorAssembler(Limits);
        a.Accept(Chunk("h", "FP32", [4], 0, 8, false));
        var e = Assert.Throws<TensorStreamException>(a.Complete);
        Assert.Equal("h", e.Tensor);
    }

    [Fact]
    public void Total_limit_counts_every_tensor()
    {
        using var a = new TensorAssembler(new TensorLimits { MaxTotalBytes = 12 });
        a.Accept(Chunk("a", "FP32", [2], 0, 8, true));
        var e = Assert.Throws<TensorStreamException>(() => a.Accept(Chunk("b", "FP32", [2], 0, 8, true)));
        Assert.Contains("in total", e.Message);
    }

    [Fact]
    public void Data_type_names_follow_the_inference_protocol()
    {
        Assert.Equal(["FP32", "FP16", "BF16", "FP64", "INT64", "INT32", "INT16", "INT8", "UINT8", "BOOL"], Enum.GetNames<TensorDataType>());
        Assert.Equal(2, TensorDataType.BF16.ElementSize());
        Assert.False(TensorDataTypes.TryParse("3", out _));
    }
}
