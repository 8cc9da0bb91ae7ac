using UnimoG.Data.Shards;

namespace UnimoG.Data.Tests;

public class ShardKeyTests
{
    [Theory]
    [InlineData("abc.jpg", "abc", "jpg")]
    [InlineData("dir/abc.seg.PNG", "dir/abc", "seg.png")]       // directory kept, extension lower-cased
    [InlineData("a.b/c.json", "a.b/c", "json")]                 // the dot is searched in the file name only
    [InlineData("./x/y.TXT", "x/y", "txt")]                     // tar -C dir . writes ./ in front
    [InlineData("s/k.layer0.png", "s/k", "layer0.png")]
    public void The_key_is_the_path_up_to_the_first_dot_of_the_file_name(string name, string key, string extension)
    {
        Assert.True(ShardKey.TrySplit(name, out var k, out var e));
        Assert.Equal((key, extension), (k, e));
    }

    [Theory]
    [InlineData("README")]
    [InlineData(".hidden")]
    [InlineData("dir/.x.png")]
    [InlineData("dir.d/noext")]
    public void A_name_without_a_key_belongs_to_no_sample(string name) => Assert.False(ShardKey.TrySplit(name, out _, out _));
}
