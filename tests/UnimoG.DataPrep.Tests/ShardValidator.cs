using System.Text.Json;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Engines.DataPrep.Shards;
using UnimoG.Imaging;

namespace UnimoG.DataPrep.Tests;

/// <summary>Checks an output shard against docs/dataprep.md, member by member. Returns the records.</summary>
internal static class ShardValidator
{
    public static List<SampleRecord> Validate(string shardPath, IReadOnlyDictionary<string, byte[]>? inputImages = null)
    {
        var members = TestData.ReadTar(shardPath);
        var index = JsonSerializer.Deserialize<ShardIndex>(File.ReadAllBytes(UnimoG.Engines.DataPrep.Pipeline.PrepJob.IndexPath(shardPath)), Json.Options)!;
        Assert.True(index.Complete);
        Assert.Equal(index.Keys.Count, index.Samples);
        var records = new List<SampleRecord>();
        var expectedMembers = new HashSet<string>();
        foreach (var key in index.Keys)
        {
            var json = members[$"{key}.json"];
            var r = JsonSerializer.Deserialize<SampleRecord>(json, Json.Options)!;
            records.Add(r);
            expectedMembers.Add($"{key}.json");
            expectedMembers.Add(r.Image);
            Assert.Equal(key, r.Key);
            Assert.Equal(SampleRecord.FormatName, r.Format);
            var image = ImageDecoder.Decode(members[r.Image], new ImageLimits { MaxPixels = 1L << 30 });
            Assert.Equal((r.Width, r.Height), (image.Width, image.Height));
            if (inputImages is not null && r.ExifOrientation == 1)
                Assert.Equal(inputImages[key], members[r.Image]); // the input's bytes, unchanged

            // Prompt: the caption with each replaced entity's span replaced by <imgN>, N = 1, 2, ... in order.
            var expectedPrompt = r.Caption;
            foreach (var e in r.Entities.Where(e => e.Replaced).OrderByDescending(e => e.Start))
                expectedPrompt = expectedPrompt[..e.Start] + $"<img{e.Image}>" + expectedPrompt[e.End..];
            Assert.Equal(expectedPrompt, r.Prompt);
            Assert.Equal(r.Prompt, string.Concat(r.PromptParts.Select(p => p.Text ?? $"<img{p.Image}>")));
            Assert.Equal(Enumerable.Range(1, r.Entities.Count(e => e.Replaced)).Cast<int?>(),
                r.Entities.Where(e => e.Replaced).Select(e => e.Image));
            if (r.TextOnly)
                Assert.Equal(r.Caption, r.Prompt);

            for (var i = 0; i < r.Entities.Count; i++)
            {
                var e = r.Entities[i];
                Assert.Equal(e.Phrase, r.Caption[e.Start..e.End]);
                Assert.Equal($"{key}.{i}.png", e.Segment);
                expectedMembers.Add(e.Segment);
                Assert.True(e.Box[0] >= 0 && e.Box[1] >= 0 && e.Box[2] <= r.Width && e.Box[3] <= r.Height
                            && e.Box[2] > e.Box[0] && e.Box[3] > e.Box[1], $"{key}: box [{string.Join(", ", e.Box)}]");
                Assert.Equal(new[] { r.Height, r.Width }, e.Mask.Size);
                var mask = Mask.FromCocoRle(r.Width, r.Height, e.Mask.Counts);
                Assert.Equal(e.MaskArea, mask.Area);
                Assert.True(mask.Area > 0);
                var (x0, y0, x1, y1) = (e.SegmentBox[0], e.SegmentBox[1], e.SegmentBox[2], e.SegmentBox[3]);
                // The mask lies inside the segment box, and the segment's alpha is the mask there.
                Assert.Equal(mask.Area, mask.ClipTo(new(x0, y0, x1, y1)).Area);
                var seg = ImageDecoder.Decode(members[e.Segment], new ImageLimits { MaxPixels = 1L << 30 });
                Assert.Equal((x1 - x0, y1 - y0), (seg.Width, seg.Height));
                for (var y = 0; y < seg.Height; y++)
                for (var x = 0; x < seg.Width; x++)
                {
                    var inside = mask[x0 + x, y0 + y];
                    Assert.Equal(inside ? 255 : 0, seg.Alpha(x, y));
                    if (inside)
                        for (var c = 0; c < 3; c++)
                            Assert.Equal(image.Rgba[((y0 + y) * r.Width + x0 + x) * 4 + c], seg.Rgba[(y * seg.Width + x) * 4 + c]);
                }
            }
        }
        Assert.Equal(expectedMembers.OrderBy(m => m), members.Keys.OrderBy(m => m));
        Assert.Equal(records.Sum(r => r.Entities.Count), index.Entities);
        Assert.Equal(records.Sum(r => r.Entities.Count(e => e.Replaced)), index.Replaced);
        return records;
    }
}
