using System.Runtime.CompilerServices;
using System.Text.Json;
using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Engines.DataPrep.Grounding;
using UnimoG.Engines.DataPrep.Samples;
using UnimoG.Engines.DataPrep.Segmentation;
using UnimoG.Engines.DataPrep.Shards;
using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Pipeline;

/// <summary>
/// The data construction of the paper (section 2.2, Figure 3, appendix A) for one sample at a time: entities,
/// a box per entity (metadata, alpha layer, or Grounding DINO), a mask per box (SAM, alpha, or the box), segments
/// cut out, entity words replaced by <c>&lt;imgN&gt;</c>. Stateless per call and safe to use from several threads.
/// A bad input gives a <see cref="PrepResult"/> with its reason, never an exception.
/// </summary>
public sealed class PrepPipeline
{
    private static readonly string[] ImageExtensions = ["jpg", "jpeg", "png", "webp"];
    private readonly PrepOptions _options;
    private readonly IEntityExtractor _entities;
    private readonly IGrounder? _grounder;
    private readonly ISegmenter? _segmenter;

    public PrepPipeline(PrepOptions options, IEntityExtractor entities, IGrounder? grounder = null, ISegmenter? segmenter = null)
    {
        options.Validate();
        if (options.Masks == MaskMode.Sam && segmenter is null)
            throw new ArgumentException("mask mode sam needs a SAM segmenter (encoder and decoder models)");
        _options = options;
        _entities = entities;
        _grounder = grounder;
        _segmenter = segmenter;
    }

    public PrepOptions Options => _options;

    /// <summary>What produced the data, recorded in each shard index.</summary>
    public IReadOnlyDictionary<string, string> Settings => new SortedDictionary<string, string>
    {
        ["entities"] = _entities.Name,
        ["grounding"] = _grounder is null ? "none" : "grounding-dino",
        ["masks"] = _options.Masks.ToString().ToLowerInvariant(),
        ["replace_rate"] = _options.ReplaceRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["text_only_share"] = _options.TextOnlyShare.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        ["seed"] = _options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Streams prepared samples (or their errors) in input order.</summary>
    public async IAsyncEnumerable<PrepResult> PrepareAsync(IAsyncEnumerable<RawSample> samples,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var sample in samples.WithCancellation(cancellationToken))
            yield return await PrepareAsync(sample, cancellationToken);
    }

    public async Task<PrepResult> PrepareAsync(RawSample sample, CancellationToken cancellationToken = default)
    {
        try
        {
            return await PrepareCoreAsync(sample, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (InvalidDataException e)
        {
            return new PrepResult(sample.Key, [], null, e.Message);
        }
        catch (Exception e)
        {
            // A model failing on one input must not stop the job; the reason says it was not the data's fault.
            return new PrepResult(sample.Key, [], null, $"internal error: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
    }

    private async Task<PrepResult> PrepareCoreAsync(RawSample sample, CancellationToken ct)
    {
        var key = sample.Key;
        // Member names are "{key}.{ext}" and the key ends at the file name's first dot.
        if (key.Length == 0 || key.EndsWith('/') || key[(key.LastIndexOf('/') + 1)..].Contains('.'))
            throw new InvalidDataException($"key '{key}' must be non-empty and have no dot in its file name part");
        var images = ImageExtensions.Where(sample.Members.ContainsKey).ToList();
        if (images.Count == 0)
            throw new InvalidDataException($"no image member ({key}.jpg, .jpeg, .png or .webp)");
        if (images.Count > 1)
            throw new InvalidDataException($"more than one image member: {string.Join(", ", images.Select(e => $"{key}.{e}"))}");
        if (!sample.Members.TryGetValue("txt", out var captionBytes))
            throw new InvalidDataException($"no caption member ({key}.txt)");
        var caption = SampleMembers.ReadCaption(captionBytes, _options);
        var metadata = sample.Members.TryGetValue("json", out var metaBytes) ? SampleMembers.ReadMetadata(metaBytes) : (JsonElement?)null;
        var imageBytes = sample.Members[images[0]];
        DecodedImage image;
        try
        {
            image = ImageDecoder.Decode(imageBytes, _options.ImageLimits);
        }
        catch (ImageDecodeException e)
        {
            throw new InvalidDataException($"{key}.{images[0]}: {e.Message}", e);
        }

        var extraction = await _entities.ExtractAsync(new EntityRequest(key, caption, metadata, imageBytes), ct);
        caption = extraction.Caption;
        var dropped = new List<DroppedEntityRecord>();
        var mentions = extraction.Entities.OrderBy(m => m.Start).ToList();
        foreach (var extra in mentions.Skip(_options.MaxEntities))
            dropped.Add(new DroppedEntityRecord(extra.Phrase, extra.Start, extra.End, $"more than {_options.MaxEntities} entities"));
        mentions = mentions.Take(_options.MaxEntities).ToList();

        var layers = SampleMembers.LoadLayers(sample, key, mentions.Count, image, _options);
        var boxes = FindBoxes(image, mentions, layers, dropped, ct);
        var grounded = FindMasks(image, boxes, layers, dropped, ct);

        var random = SampleRandom.For(_options.Seed, key);
        var composed = SampleComposer.Compose(caption, image, grounded, random, _options.ReplaceRate, _options.TextOnlyShare);

        // The image member: the input's bytes, unless EXIF rotation was applied (then the upright pixels as PNG).
        var (imageName, outImage) = image.ExifOrientation == 1
            ? ($"{key}.{images[0]}", imageBytes)
            : ($"{key}.png", PngEncoder.Encode(image));
        var members = new List<(string, byte[])> { (imageName, outImage) };
        var entities = new List<EntityRecord>();
        for (var i = 0; i < composed.Entities.Count; i++)
        {
            var e = composed.Entities[i];
            var g = e.Grounded;
            var segment = $"{key}.{i}.png";
            members.Add((segment, e.SegmentPng));
            entities.Add(new EntityRecord
            {
                Phrase = g.Mention.Phrase, Start = g.Mention.Start, End = g.Mention.End,
                GroundingPhrase = g.Mention.GroundingPhrase,
                Box = [Round(g.Box.X0), Round(g.Box.Y0), Round(g.Box.X1), Round(g.Box.Y1)],
                BoxSource = g.BoxSource, Score = g.Score is { } s ? MathF.Round(s, 4) : null,
                Mask = new RleRecord([image.Height, image.Width], g.Mask.ToCocoRle()), MaskSource = g.MaskSource,
                MaskArea = e.MaskArea, Segment = segment,
                SegmentBox = [(int)e.SegmentBox.X0, (int)e.SegmentBox.Y0, (int)e.SegmentBox.X1, (int)e.SegmentBox.Y1],
                Replaced = e.Replaced, Image = e.Image,
            });
        }
        var record = new SampleRecord
        {
            Key = key, Image = imageName, Width = image.Width, Height = image.Height,
            ExifOrientation = image.ExifOrientation, Caption = caption, CaptionSource = extraction.CaptionSource,
            EntitySource = _entities.Name, TextOnly = composed.TextOnly, Prompt = composed.Prompt,
            PromptParts = composed.Parts.Select(p => p.Text is not null
                ? new PromptPartRecord { Text = p.Text }
                : new PromptPartRecord { Image = p.Image, Entity = p.Entity, Member = $"{key}.{p.Entity}.png" }).ToList(),
            Entities = entities, Dropped = dropped,
        };
        members.Insert(1, ($"{key}.json", JsonSerializer.SerializeToUtf8Bytes(record, Json.Options)));
        return new PrepResult(key, members, record, null);
    }

    private static float Round(float v) => MathF.Round(v, 2);

    /// <summary>A box per entity: metadata, else its alpha layer, else Grounding DINO, else (alpha mode, one entity) the scene's alpha.</summary>
    private List<(int Index, EntityMention Mention, BoxXyxy Box, float? Score, string Source)> FindBoxes(DecodedImage image,
        List<EntityMention> mentions, DecodedImage?[] layers, List<DroppedEntityRecord> dropped, CancellationToken ct)
    {
        var boxes = new (BoxXyxy Box, float? Score, string Source)?[mentions.Count];
        var reasons = new string?[mentions.Count];
        for (var i = 0; i < mentions.Count; i++)
        {
            if (mentions[i].Box is { } b)
            {
                var clamped = b.ClampTo(image.Width, image.Height);
                if (clamped.Width > 0 && clamped.Height > 0)
                    boxes[i] = (clamped, null, "metadata");
                else
                    reasons[i] = $"metadata box {b} lies outside the {image.Width}x{image.Height} image";
            }
            else if (layers[i] is { } layer)
            {
                if (AlphaMasks.FromAlpha(layer).Bounds() is { } lb)
                    boxes[i] = (lb, null, "alpha");
                else
                    reasons[i] = $"layer{i}.png is fully transparent";
            }
        }
        var pending = Enumerable.Range(0, mentions.Count).Where(i => boxes[i] is null && reasons[i] is null).ToList();
        if (pending.Count > 0 && _grounder is not null)
        {
            var found = _grounder.Ground(image, pending.Select(i => mentions[i].GroundingPhrase).ToList(), ct);
            for (var k = 0; k < pending.Count; k++)
            {
                if (found[k] is { } g)
                    boxes[pending[k]] = (g.Box, g.Score, "grounding");
                else
                    reasons[pending[k]] = "not found by grounding (no box above the thresholds)";
            }
        }
        else if (pending.Count > 0)
        {
            var alphaBox = _options.Masks == MaskMode.Alpha && image.HasAlpha && mentions.Count == 1
                ? AlphaMasks.FromAlpha(image).Bounds()
                : null;
            foreach (var i in pending)
            {
                if (alphaBox is { } ab)
                    boxes[i] = (ab, null, "alpha");
                else
                    reasons[i] = "no box: none in the metadata and no grounding model configured";
            }
        }
        var result = new List<(int, EntityMention, BoxXyxy, float?, string)>();
        for (var i = 0; i < mentions.Count; i++)
        {
            if (boxes[i] is { } b)
                result.Add((i, mentions[i], b.Box, b.Score, b.Source));
            else
                dropped.Add(new DroppedEntityRecord(mentions[i].Phrase, mentions[i].Start, mentions[i].End, reasons[i]!));
        }
        return result;
    }

    private List<GroundedEntity> FindMasks(DecodedImage image, List<(int Index, EntityMention Mention, BoxXyxy Box, float? Score, string Source)> boxes,
        DecodedImage?[] layers, List<DroppedEntityRecord> dropped, CancellationToken ct)
    {
        var masks = new List<(Mask Mask, string Source)>();
        switch (_options.Masks)
        {
            case MaskMode.Sam:
                var sam = _segmenter!.Segment(image, boxes.Select(b => b.Box).ToList(), ct);
                masks.AddRange(sam.Select((m, i) => (m.ClipTo(boxes[i].Box), "sam")));
                break;
            case MaskMode.Box:
                masks.AddRange(boxes.Select(b => (Mask.FromBox(b.Box, image.Width, image.Height), "box")));
                break;
            case MaskMode.Alpha:
                foreach (var b in boxes)
                {
                    var source = layers[b.Index] ?? (image.HasAlpha ? image : throw new InvalidDataException(
                        $"alpha masks: the image has no alpha channel and there is no layer image for \"{b.Mention.Phrase}\""));
                    masks.Add((AlphaMasks.FromAlpha(source, b.Box), "alpha"));
                }
                break;
        }
        var result = new List<GroundedEntity>();
        for (var i = 0; i < boxes.Count; i++)
        {
            var (_, mention, box, score, boxSource) = boxes[i];
            if (masks[i].Mask.Area == 0)
            {
                dropped.Add(new DroppedEntityRecord(mention.Phrase, mention.Start, mention.End, $"empty {masks[i].Source} mask inside the box"));
                continue;
            }
            result.Add(new GroundedEntity(mention, box, score, boxSource, masks[i].Mask, masks[i].Source));
        }
        return result;
    }
}
