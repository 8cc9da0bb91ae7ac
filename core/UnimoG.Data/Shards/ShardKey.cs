namespace UnimoG.Data.Shards;

/// <summary>
/// The one key rule of WebDataset shards, webdataset's <c>base_plus_ext</c> and <c>group_by_keys(lcase=True)</c>:
/// a member <c>dir/abc.seg.PNG</c> has key <c>dir/abc</c> (the path up to the first dot of the file name, directory
/// included) and extension <c>seg.png</c> (the rest, lower-cased). A name whose file name has no dot, or starts with
/// one, has no key and belongs to no sample. A leading <c>./</c> (what <c>tar -C dir .</c> writes) is not part of
/// the name, so such archives group like the ones we write.
/// </summary>
public static class ShardKey
{
    public static bool TrySplit(string memberName, out string key, out string extension)
    {
        var name = Normalize(memberName);
        var slash = name.LastIndexOf('/');
        var dot = name.IndexOf('.', slash + 1);
        if (dot <= slash + 1)
        {
            (key, extension) = ("", "");
            return false;
        }
        (key, extension) = (name[..dot], name[(dot + 1)..].ToLowerInvariant());
        return true;
    }

    /// <summary>The member name without a leading <c>./</c>.</summary>
    public static string Normalize(string memberName) => memberName.StartsWith("./", StringComparison.Ordinal) ? memberName[2..] : memberName;
}
