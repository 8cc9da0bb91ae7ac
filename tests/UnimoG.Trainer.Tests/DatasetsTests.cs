using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;
using UnimoG.TestSupport;

namespace UnimoG.Trainer.Tests;

/// <summary>Both data formats read: EmojiWorld shards (stage 1) and prepared multimodal shards (stage 2).</summary>
public class DatasetsTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    [Fact]
    public void Both_data_formats_read()
    {
        var s1 = Datasets.Load(new DataSettings { Kind = "emojiworld", Path = World.Stage1Data, Caption = "zh" });
        Assert.Equal(12, s1.Count);
        Assert.EndsWith("方块", s1[0].Caption);
        Assert.Null(s1[0].Multimodal);
        var wide = Datasets.Load(new DataSettings { Kind = "emojiworld", Path = World.Stage1Wide });
        Assert.Equal((32, 16), (wide[1].Width, wide[1].Height));
        var s2 = Datasets.Load(new DataSettings { Kind = "prepared", Path = World.Stage2Data, Limit = 3 });
        Assert.Equal(3, s2.Count);
        Assert.Equal(2, s2[0].Images.Count);
        Assert.StartsWith("a <img1> and a <img2>", s2[0].Describe(false));
        Assert.Equal(36f, s2[0].Images[1].Mask.Decode().Sum());   // the second square is drawn last: never occluded
        Assert.Equal(s2[0].Key + "#caption", s2[0].ConditionKey(true));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => Datasets.Load(new DataSettings { Path = "/nonexistent/data" }));
        Assert.Contains("/nonexistent/data", missing.Message);
    }
}
