using UnimoG.Engines.Trainer.Data;

namespace UnimoG.Trainer.Tests;

/// <summary>COCO's run-length masks, as the prepared shards store entity masks.</summary>
public class CocoRleTests
{
    [Fact]
    public void COCO_RLE_decodes_column_major_runs()
    {
        // 2x3 image, column-major: col0 = (0,1), col1 = (1,1), col2 = (0,0) -> counts [1, 3, 2]
        var rle = new CocoRle(2, 3, [1, 3, 2]);
        Assert.Equal([0f, 1f, 0f, 1f, 1f, 0f], rle.Decode());   // row-major: row0 = 0 1 0, row1 = 1 1 0
        Assert.Equal([1L, 3L, 2L], CocoRle.Encode(rle.Decode(), 2, 3).Counts);
        Assert.Throws<InvalidDataException>(() => new CocoRle(2, 3, [1, 9]).Decode());
    }
}
