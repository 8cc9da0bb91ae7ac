using System.Text;
using UnimoG.Data.Shards;

namespace UnimoG.Data.Tests;

public sealed class ShardReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("unimog-shards-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Shard(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    [Fact]
    public async Task Consecutive_members_with_one_key_form_a_sample()
    {
        var tar = HandTar.Archive(("a.jpg", "A"), ("a.TXT", "caption"), ("dir/a.jpg", "B"), ("README", "skip"), ("b.seg.png", "S"));
        var samples = new List<ShardSample<byte[]>>();
        await foreach (var s in ShardReader.ReadAsync(new MemoryStream(tar))) samples.Add(s);
        Assert.Equal(["a", "dir/a", "b"], samples.Select(s => s.Key));
        Assert.Equal(["jpg", "txt"], samples[0].Members.Keys.Order());
        Assert.Equal("caption", Text(samples[0].Members["txt"]));
        Assert.Equal("B", Text(samples[1].Members["jpg"]));
        Assert.Equal("S", Text(samples[2].Members["seg.png"]));
        Assert.All(samples, s => Assert.Null(s.Error));
        // The synchronous reader of a file groups the same way.
        Assert.Equal(samples.Select(s => s.Key), ShardReader.Read(Shard("x.tar", tar)).Select(s => s.Key));
    }

    [Fact]
    public void A_returning_key_or_a_repeated_member_marks_the_sample()
    {
        var tar = HandTar.Archive(("a.jpg", "1"), ("b.jpg", "2"), ("a.txt", "3"), ("c.jpg", "4"), ("c.JPG", "5"));
        var samples = ShardReader.Read(Shard("bad.tar", tar)).ToList();
        Assert.Equal(["a", "b", "a", "c"], samples.Select(s => s.Key));
        Assert.Null(samples[0].Error);
        Assert.Contains("appears again", samples[2].Error);
        Assert.Equal("two members named c.JPG", samples[3].Error);
    }

    [Fact]
    public void The_index_keeps_member_positions_at_the_blocks_of_the_format()
    {
        // a.png: header at 0, data at 512 (700 bytes, two blocks); a.json: header at 512 + 1024, data after it.
        var png = Enumerable.Range(0, 700).Select(i => (byte)i).ToArray();
        Shard("part-0.tar", HandTar.Archive(("a.png", png), ("a.json", Encoding.UTF8.GetBytes("{}"))));
        Shard("part-1.tar", HandTar.Archive(("sub/a.png", "x")));
        var index = ShardReader.Index(_dir, "test");
        Assert.Equal(["a", "sub/a"], index.Select(s => s.Key));
        var a = index[0].Members;
        Assert.Equal((512L, 700L, "a.png"), (a["png"].Offset, a["png"].Length, a["png"].Name));
        Assert.Equal((512L + HandTar.Padded(700) + 512, 2L), (a["json"].Offset, a["json"].Length));
        Assert.Equal(png, a["png"].Read());
        Assert.Equal("{}", a["json"].ReadText());
        Assert.Equal("sub/a.png", index[1].Members["png"].Name);
    }

    [Fact]
    public void The_index_refuses_a_key_twice_in_a_folder()
    {
        Shard("part-0.tar", HandTar.Archive(("a.png", "x")));
        Shard("part-1.tar", HandTar.Archive(("a.png", "y")));
        Assert.Contains("'a' is also in an earlier shard", Assert.Throws<InvalidDataException>(() => ShardReader.Index(_dir, "test")).Message);
        Assert.Throws<FileNotFoundException>(() => ShardReader.Index(Directory.CreateTempSubdirectory().FullName, "test"));
    }

    [Fact]
    public async Task A_cut_archive_throws_after_the_samples_before_the_cut()
    {
        var tar = HandTar.Archive(("a.txt", "1"), ("b.txt", "2"), ("c.txt", new string('x', 2000)));
        var cut = tar[..(5 * 512 + 100)];   // inside c's data: a is complete (b started it off), b is not yet
        var keys = new List<string>();
        await Assert.ThrowsAsync<InvalidDataException>(async () => { await foreach (var s in ShardReader.ReadAsync(new MemoryStream(cut))) keys.Add(s.Key); });
        Assert.Equal(["a"], keys);
        Assert.Equal(3, ShardReader.CountSamples(Shard("cut.tar", cut)));
        Assert.Equal(3, ShardReader.CountSamples(Shard("whole.tar", tar)));
    }

    [Fact]
    public void The_writer_writes_fixed_ustar_headers_the_reader_groups_back()
    {
        var path = Path.Combine(_dir, "w.tar");
        ShardWriter.WriteFile(path, [("k.png", [1, 2, 3]), ("k.json", Encoding.UTF8.GetBytes("{}"))]);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("k.png", HandTar.Field(bytes, 0, 100));
        Assert.Equal(3, Convert.ToInt32(HandTar.Field(bytes, 124, 12).Trim(), 8));                        // size
        Assert.Equal(644, int.Parse(HandTar.Field(bytes, 100, 8).Trim()));                                 // mode 0644
        Assert.Equal(1704067200L, Convert.ToInt64(HandTar.Field(bytes, 136, 12).Trim(), 8));              // 2024-01-01T00:00Z
        Assert.Equal(("ustar", "00"), (HandTar.Field(bytes, 257, 6), Encoding.ASCII.GetString(bytes, 263, 2)));
        Assert.Equal(("", ""), (HandTar.Field(bytes, 265, 32), HandTar.Field(bytes, 297, 32)));           // no owner names
        Assert.Equal([1, 2, 3], bytes[512..515]);
        Assert.Equal("k.json", HandTar.Field(bytes, 1024, 100));
        Assert.False(File.Exists(path + ".partial"));
        var sample = Assert.Single(ShardReader.Read(path));
        Assert.Equal(("k", "{}"), (sample.Key, Text(sample.Members["json"])));
        Assert.Throws<ArgumentException>(() => ShardWriter.WriteFile(Path.Combine(_dir, "n.tar"), [("NOTICE", [1])]));
    }
}
