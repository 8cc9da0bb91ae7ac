using UnimoG.Data.Random;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Samples;

/// <summary>An entity with its box and mask, ready to be cut out.</summary>
public sealed record GroundedEntity(EntityMention Mention, BoxXyxy Box, float? Score, string BoxSource, Mask Mask, string MaskSource);

/// <summary>A part of the multimodal prompt: text, or the segment image of entity <see cref="Entity"/>.</summary>
public sealed record PromptPart(string? Text, int? Entity, int? Image);

/// <summary>An entity of the output sample.</summary>
public sealed record ComposedEntity(GroundedEntity Grounded, byte[] SegmentPng, BoxXyxy SegmentBox, int MaskArea, bool Replaced, int? Image);

/// <summary>The multimodal sample built from one caption and its grounded entities.</summary>
public sealed record ComposedSample(bool TextOnly, string Prompt, IReadOnlyList<PromptPart> Parts, IReadOnlyList<ComposedEntity> Entities);

/// <summary>
/// Paper, appendix A, step (4): entity words randomly replaced by their image segments, with a share of samples
/// left as plain captions. Draws, in this order from the sample's own generator: one number for the text-only
/// decision, then one per entity in caption order (replaced when below the replacement rate). Replaced entities are
/// numbered <c>&lt;img1&gt;</c>, <c>&lt;img2&gt;</c>... in caption order.
/// </summary>
public static class SampleComposer
{
    public static ComposedSample Compose(string caption, DecodedImage image, IReadOnlyList<GroundedEntity> entities,
        SplitMix64 random, double replaceRate, double textOnlyShare)
    {
        var ordered = entities.OrderBy(e => e.Mention.Start).ToList();
        var textOnly = random.NextDouble() < textOnlyShare;
        var replace = ordered.Select(_ => !textOnly && random.NextDouble() < replaceRate).ToList();

        var composed = new List<ComposedEntity>();
        var parts = new List<PromptPart>();
        var prompt = new System.Text.StringBuilder();
        var cursor = 0;
        var imageNumber = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            var e = ordered[i];
            var (png, box) = CutOut(image, e.Mask, e.Box);
            int? number = replace[i] ? ++imageNumber : null;
            composed.Add(new ComposedEntity(e, png, box, e.Mask.Area, replace[i], number));
            if (number is not { } n)
                continue;
            var before = caption[cursor..e.Mention.Start];
            if (before.Length > 0)
                parts.Add(new PromptPart(before, null, null));
            parts.Add(new PromptPart(null, i, n));
            prompt.Append(before).Append($"<img{n}>");
            cursor = e.Mention.End;
        }
        var rest = caption[cursor..];
        if (rest.Length > 0)
            parts.Add(new PromptPart(rest, null, null));
        prompt.Append(rest);
        return new ComposedSample(textOnly, prompt.ToString(), parts, composed);
    }

    /// <summary>The RGBA crop of the mask's pixel box; alpha 255 inside the mask, 0 (and black) outside.</summary>
    public static (byte[] Png, BoxXyxy Box) CutOut(DecodedImage image, Mask mask, BoxXyxy box)
    {
        var (x0, y0, x1, y1) = Mask.PixelBox(box, image.Width, image.Height);
        var (w, h) = (x1 - x0, y1 - y0);
        if (w <= 0 || h <= 0)
            throw new InvalidDataException($"entity box {box} has no pixels inside the {image.Width}x{image.Height} image");
        var px = ImageOps.Crop(image.Rgba, image.Width, image.Height, 4, x0, y0, w, h);
        for (var y = 0; y < h; y++)
        for (var x = 0; x < w; x++)
        {
            var d = (y * w + x) * 4;
            if (mask[x0 + x, y0 + y])
                px[d + 3] = 255;
            else
                px.AsSpan(d, 4).Clear();
        }
        return (PngEncoder.Encode(new DecodedImage(w, h, px, hasAlpha: true)), new BoxXyxy(x0, y0, x1, y1));
    }
}
