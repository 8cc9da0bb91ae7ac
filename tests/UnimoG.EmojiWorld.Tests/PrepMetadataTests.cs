namespace UnimoG.EmojiWorld.Tests;

public class PrepMetadataTests(SyntheticArtFixture fx) : IClassFixture<SyntheticArtFixture>
{
    [Fact]
    public void Entities_carry_data_preparations_phrase_and_span_for_the_txt_caption()
    {
        // docs/dataprep.md: {"entities": [{"phrase", "start", "end"}, ...]} in caption order, text = {key}.txt.
        foreach (var s in Enumerable.Range(0, 50).Select(i => fx.Composer.Compose(Split.Train, 4, i)))
        {
            var members = s.Members().ToDictionary(m => m.Name, m => m.Data);
            var caption = System.Text.Encoding.UTF8.GetString(members[$"{s.Key}.txt"]);
            using var json = System.Text.Json.JsonDocument.Parse(members[$"{s.Key}.json"]);
            var previousEnd = 0;
            foreach (var e in json.RootElement.GetProperty("entities").EnumerateArray())
            {
                var start = e.GetProperty("start").GetInt32();
                var end = e.GetProperty("end").GetInt32();
                Assert.Equal(e.GetProperty("phrase").GetString(), caption[start..end]);
                Assert.True(start >= previousEnd, "entities are listed in caption order");
                previousEnd = end;
            }
        }
    }
}
