using UnimoG.Data.Random;

namespace UnimoG.EmojiWorld;

/// <summary>Where one entity's sprite is drawn: its visible extent maps onto <see cref="Rect"/> (canvas pixels).</summary>
/// <param name="Index">The entity's index in the plan (caption order).</param>
/// <param name="ClipBottom">When set, nothing of the sprite is drawn below this canvas row (a bust cut at the neck).</param>
public sealed record Placement(int Index, Box Rect, float? ClipBottom = null);

/// <summary>
/// The layout rules. Everything is first placed in the subject's own sprite pixels, using its curated
/// anchors (head box, eye line, torso box): a hat's bottom edge sinks a set fraction into the top of the
/// head; glasses sit centred on the eye line; a top hangs from the chin (faces), from the neck of a bust
/// cut there, or covers the torso (bodies); a scarf wraps the chin; a bag hangs at one side of the torso.
/// Worn items are sized relative to the head (or torso). A toy or food stands beside the group, on its
/// left or right, low down (at hand height), about half to three quarters of the head's size. The whole
/// group is then scaled to fit the 64x64 canvas with a margin, at a random size and offset. Placements
/// come back in drawing order (back to front).
/// </summary>
public static class Layout
{
    public const int Canvas = Sprite.Size;
    /// <summary>Nothing is drawn closer than this to the canvas edge.</summary>
    public const float Margin = 2f;

    public static IReadOnlyList<Placement> Place(ScenePlan plan, Func<string, Sprite> sprite, SplitMix64 rng)
    {
        var items = new List<(int Index, Box Rect, int Z)>();
        var subject = plan.Entities[0].Entity;
        items.Add((0, ToBox(sprite(subject.Hex)), 0));
        // A bust wearing a top is cut at the neck, and the top hangs from there as it does under a face.
        float? clip = subject.Kind == Kind.Bust && plan.Entities.Any(p => p.Role == Role.Worn && p.Entity.Kind == Kind.Top)
            ? subject.Anchors!.Body!.Value.Y0
            : null;

        for (var i = 1; i < plan.Entities.Count; i++)
        {
            var p = plan.Entities[i];
            if (p.Role != Role.Worn) continue;
            var (rect, z) = Worn(subject, p.Entity, sprite(p.Entity.Hex), rng);
            items.Add((i, rect, z));
        }

        // The group the beside item stands next to: the subject and what it wears.
        var group = items.Select(t => t.Rect).Aggregate((a, b) => a.Union(b));
        for (var i = 1; i < plan.Entities.Count; i++)
        {
            var p = plan.Entities[i];
            if (p.Role != Role.Beside) continue;
            items.Add((i, Beside(subject, group, sprite(p.Entity.Hex), rng), 10));
        }

        // Fit everything into the canvas: a single entity fills 60-95 % of it, a group 82-100 % of what fits.
        var all = items.Select(t => t.Rect).Aggregate((a, b) => a.Union(b));
        var room = Canvas - 2 * Margin;
        var fit = room / MathF.Max(all.Width, all.Height);
        var scale = fit * (float)(plan.Entities.Count == 1
            ? rng.Uniform(subject.Category == Category.Living ? 0.72 : 0.6, 0.95)
            : rng.Uniform(0.82, 1.0));
        float w = all.Width * scale, h = all.Height * scale;
        var x0 = Margin + (float)rng.Uniform(0, room - w);
        var y0 = Margin + (float)rng.Uniform(0, room - h);
        var target = new Box(x0, y0, x0 + w, y0 + h);
        return items
            .OrderBy(t => t.Z).ThenBy(t => t.Index)
            .Select(t => new Placement(t.Index, t.Rect.Map(all, target),
                t.Index == 0 && clip is { } c ? target.Y0 + (c - all.Y0) * scale : null))
            .ToList();
    }

    /// <summary>The box, in subject sprite pixels, of a worn item, and its drawing order relative to the subject (0).</summary>
    internal static (Box Rect, int Z) Worn(Entity wearer, Entity item, Sprite itemSprite, SplitMix64 rng)
    {
        var a = wearer.Anchors ?? throw new InvalidOperationException($"{wearer} is not a living entity.");
        var fit = item.Fit ?? throw new InvalidOperationException($"{item} is not a wearing item.");
        var head = a.Head;
        var e = itemSprite.Extent;
        float iw = e.Width, ih = e.Height;
        Box Sized(float width, float cx, float top) => new(cx - width / 2, top, cx + width / 2, top + width * ih / iw);

        switch (item.Kind)
        {
            case Kind.Hat:
            {
                var w = fit.Width * head.Width;
                var h = w * ih / iw;
                // Sunk into the head, but always rising at least a tenth of the head height above it.
                var bottom = MathF.Min(head.Y0 + fit.Sink * head.Height, head.Y0 - 0.1f * head.Height + h);
                return (Sized(w, head.CenterX, bottom - h), 3);
            }
            case Kind.Glasses:
            {
                var w = fit.Width * head.Width;
                var h = w * ih / iw;
                return (Sized(w, head.CenterX, a.EyesY - fit.EyeLine * h), 2);
            }
            case Kind.Top when wearer.Kind == Kind.Face:
                // A head alone gets a body: the top hangs from just above the chin and is drawn under the head.
                return (Sized(fit.Width * head.Width, head.CenterX, head.Y1 - 0.10f * head.Height), -1);
            case Kind.Top when wearer.Kind == Kind.Bust:
                // The bust is cut at its neck (Body.Y0); the top, a little wider than the head, hangs from there.
                return (Sized(1.1f * fit.Width * head.Width, head.CenterX, a.Body!.Value.Y0 - 0.08f * head.Height), -1);
            case Kind.Top:
            {
                var body = a.Body!.Value;
                return (Sized(fit.Width * body.Width, body.CenterX, body.Y0 - 0.04f * head.Height), 1);
            }
            case Kind.Neck:
            {
                var top = wearer.Kind == Kind.Face ? head.Y1 - 0.22f * head.Height : a.Body!.Value.Y0 - 0.12f * head.Height;
                return (Sized(fit.Width * head.Width, head.CenterX, top), 2);
            }
            case Kind.Bag:
            {
                var body = a.Body ?? throw new InvalidOperationException($"{wearer} has no torso to hang {item} on.");
                var h = fit.Height * MathF.Max(head.Height, body.Height);
                var w = h * iw / ih;
                var right = rng.Chance(0.5);
                var cx = right ? body.X1 - 0.1f * w : body.X0 + 0.1f * w;
                return (Box.FromCenter(cx, body.CenterY + 0.1f * h, w, h), 4);
            }
            default:
                throw new InvalidOperationException($"{item} ({item.Kind}) cannot be worn.");
        }
    }

    /// <summary>
    /// A toy or food beside the group, on a random side, at hand height, slightly overlapping it. Its size
    /// follows how much it really draws: the diameter of a disc of its area is 50-75 % of the head height
    /// (so a thin racket gets as large a box as a ball looks), its box never taller or wider than the head.
    /// </summary>
    internal static Box Beside(Entity subject, Box group, Sprite item, SplitMix64 rng)
    {
        var head = subject.Anchors?.Head ?? group;
        var diameter = 2 * MathF.Sqrt(item.Area / MathF.PI);
        var k = (float)rng.Uniform(0.5, 0.75) * head.Height / diameter;
        k = MathF.Min(k, head.Height / MathF.Max(item.Extent.Width, item.Extent.Height));
        float w = item.Extent.Width * k, h = item.Extent.Height * k;
        var overlap = (float)rng.Uniform(0.0, 0.2) * w;
        var right = rng.Chance(0.5);
        var x0 = right ? group.X1 - overlap : group.X0 + overlap - w;
        // Bottom edge between the group's bottom and a quarter of its height above it.
        var y1 = group.Y1 - (float)rng.Uniform(0, 0.25) * group.Height;
        return new Box(x0, y1 - h, x0 + w, y1);
    }

    private static Box ToBox(Sprite s) => new(s.Extent.Left, s.Extent.Top, s.Extent.Right, s.Extent.Bottom);
}
