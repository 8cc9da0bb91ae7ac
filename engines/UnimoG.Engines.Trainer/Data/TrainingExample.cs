using UnimoG.Data.Shards;

namespace UnimoG.Engines.Trainer.Data;

/// <summary>One part of a training prompt: text, or the image of entity <see cref="Image.Entity"/>.</summary>
public abstract record PromptPiece
{
    public sealed record Text(string Value) : PromptPiece;

    /// <summary>
    /// An entity's segment image and its mask in the scene, both read on demand from the shard (a large dataset keeps
    /// only member positions in memory): <paramref name="Record"/> is the sample's JSON record, entity index <paramref name="Entity"/>.
    /// </summary>
    public sealed record Image(int Entity, ShardMember Segment, ShardMember Record, int Height, int Width) : PromptPiece
    {
        /// <summary>SHA-256 (hex) of the segment's bytes: the encoder's content key for the image.</summary>
        public string Sha256 => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Segment.Read()));

        /// <summary>The entity's mask over the whole image.</summary>
        public CocoRle Mask => Datasets.EntityMask(Record, Entity, Height, Width);
    }
}

/// <summary>
/// One training sample: the scene image (read on demand), its plain caption, and for stage 2 the multimodal prompt
/// whose image pieces carry the entity masks the attention loss pulls the cross-attention maps towards.
/// </summary>
public sealed record TrainingExample(string Key, int Width, int Height, ShardMember ImageMember, string Caption,
    IReadOnlyList<PromptPiece>? Multimodal)
{
    /// <summary>Image pieces in prompt order: the i-th is the encoder's visual span with ImageIndex i.</summary>
    public IReadOnlyList<PromptPiece.Image> Images => Multimodal?.OfType<PromptPiece.Image>().ToList() ?? [];

    /// <summary>The prompt as plain text (images shown as &lt;imgN&gt;), for logs.</summary>
    public string Describe(bool plain)
    {
        if (plain || Multimodal is null) return Caption;
        var n = 0;
        return string.Concat(Multimodal.Select(p => p is PromptPiece.Text t ? t.Value : $"<img{++n}>"));
    }

    /// <summary>
    /// The caption's language tag when one scene yields captions in several languages (EmojiWorld <c>caption: "en+zh"</c>
    /// gives the Chinese one <c>zh</c>): it keeps their condition-cache keys apart while they share the scene's latents.
    /// </summary>
    public string? CaptionTag { get; init; }

    /// <summary>
    /// Condition-cache key of this sample's prompt: the key, key#caption for the plain caption of a multimodal sample,
    /// or key#zh for a tagged caption.
    /// </summary>
    public string ConditionKey(bool plain) =>
        plain && Multimodal is not null ? Key + "#caption" : CaptionTag is { } tag ? Key + "#" + tag : Key;
}

/// <summary>A COCO uncompressed RLE mask (column-major runs, first run of zeros) over a Height x Width image.</summary>
public sealed record CocoRle(int Height, int Width, IReadOnlyList<long> Counts)
{
    /// <summary>Row-major 0/1 floats [Height * Width].</summary>
    public float[] Decode()
    {
        var total = (long)Height * Width;
        var colMajor = new float[total];
        long pos = 0;
        var value = 0f;
        foreach (var run in Counts)
        {
            if (run < 0 || pos + run > total) throw new InvalidDataException($"mask RLE runs exceed {Height}x{Width} pixels");
            if (value == 1f) Array.Fill(colMajor, 1f, (int)pos, (int)run);
            pos += run;
            value = 1f - value;
        }
        if (pos != total) throw new InvalidDataException($"mask RLE covers {pos} of {total} pixels");
        var rowMajor = new float[total];
        for (var x = 0; x < Width; x++)
            for (var y = 0; y < Height; y++)
                rowMajor[y * Width + x] = colMajor[x * Height + y];
        return rowMajor;
    }

    /// <summary>Run-length encodes a row-major 0/1 mask (values >= 0.5 are inside).</summary>
    public static CocoRle Encode(float[] rowMajor, int height, int width)
    {
        var counts = new List<long>();
        var value = false;
        long run = 0;
        for (var x = 0; x < width; x++)
            for (var y = 0; y < height; y++)
            {
                var v = rowMajor[y * width + x] >= 0.5f;
                if (v != value) { counts.Add(run); run = 0; value = v; }
                run++;
            }
        counts.Add(run);
        return new CocoRle(height, width, counts);
    }
}
