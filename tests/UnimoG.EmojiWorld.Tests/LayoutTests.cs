namespace UnimoG.EmojiWorld.Tests;

/// <summary>The layout rules, checked on many scenes composed from synthetic flat-colour sprites.</summary>
public class LayoutTests(SyntheticArtFixture fx) : IClassFixture<SyntheticArtFixture>
{
    private const float Tol = 0.75f; // pixels: anti-aliased edges and rounding of the mask

    private IEnumerable<ComposedScene> Scenes(int count) =>
        fx.Scenes(Split.All, 11, count);

    private Box SubjectHead(ComposedScene s)
    {
        var subject = s.Plan.Entities[0].Entity;
        var e = fx.Emoji.Sprite(subject.Hex).Extent;
        var rect = s.Placements.Single(p => p.Index == 0).Rect;
        return subject.Anchors!.Head.Map(new Box(e.Left, e.Top, e.Right, e.Bottom), rect);
    }

    private static (int X0, int Y0, int X1, int Y1) MaskBox(ComposedScene s, int index) => s.Rendered.Entities[index].Box!.Value;

    [Fact]
    public void Everything_lies_inside_the_canvas_margin()
    {
        foreach (var s in Scenes(400))
        {
            foreach (var p in s.Placements)
            {
                Assert.InRange(p.Rect.X0, Layout.Margin - 1e-3f, Layout.Canvas - Layout.Margin + 1e-3f);
                Assert.InRange(p.Rect.X1, Layout.Margin - 1e-3f, Layout.Canvas - Layout.Margin + 1e-3f);
                Assert.InRange(p.Rect.Y0, Layout.Margin - 1e-3f, Layout.Canvas - Layout.Margin + 1e-3f);
                Assert.InRange(p.Rect.Y1, Layout.Margin - 1e-3f, Layout.Canvas - Layout.Margin + 1e-3f);
            }
            foreach (var e in s.Rendered.Entities)
            {
                var b = e.Box!.Value;
                Assert.True(b.X0 >= 1 && b.Y0 >= 1 && b.X1 <= 63 && b.Y1 <= 63, $"{s.Key}: mask box {b} touches the edge");
            }
        }
    }

    [Fact]
    public void Hats_sit_on_top_of_the_head_and_glasses_on_the_eyes()
    {
        int hats = 0, glasses = 0;
        foreach (var s in Scenes(600))
        {
            var worn = s.Plan.Entities.Select((p, i) => (p, i)).Where(t => t.p.Role == Role.Worn).ToList();
            if (worn.Count == 0) continue;
            var (item, index) = worn[0];
            var head = SubjectHead(s);
            var box = MaskBox(s, index);
            var subject = s.Plan.Entities[0].Entity;
            if (item.Entity.Kind == Kind.Hat)
            {
                hats++;
                // The hat rises above the head top and covers at most its sink share of the head.
                Assert.True(box.Y0 < head.Y0, $"{s.Key}: hat top {box.Y0} is not above head top {head.Y0}");
                Assert.True(box.Y1 <= head.Y0 + item.Entity.Fit!.Sink * head.Height + Tol, $"{s.Key}: hat reaches {box.Y1}, too far down the head");
                Assert.InRange((box.X0 + box.X1) / 2f, head.CenterX - 1, head.CenterX + 1);
            }
            else if (item.Entity.Kind == Kind.Glasses)
            {
                glasses++;
                // Inside the face, across the eye line.
                Assert.True(box.X0 >= head.X0 - Tol && box.X1 <= head.X1 + Tol, $"{s.Key}: glasses {box} leave the head {head}");
                var eyes = head.Y0 + (subject.Anchors!.EyesY - subject.Anchors.Head.Y0) * head.Height / subject.Anchors.Head.Height;
                Assert.InRange(eyes, box.Y0, box.Y1);
                Assert.True(box.Y0 >= head.Y0 - Tol && box.Y1 <= head.Y1 + Tol, $"{s.Key}: glasses {box} leave the head {head}");
            }
        }
        Assert.True(hats > 20 && glasses > 20, $"too few cases: {hats} hats, {glasses} glasses");
    }

    [Fact]
    public void Tops_hang_below_the_head_and_bags_at_the_side()
    {
        int tops = 0, bags = 0;
        foreach (var s in Scenes(600))
        {
            var worn = s.Plan.Entities.Select((p, i) => (p, i)).Where(t => t.p.Role == Role.Worn).ToList();
            if (worn.Count == 0) continue;
            var (item, index) = worn[0];
            var head = SubjectHead(s);
            var box = MaskBox(s, index);
            if (item.Entity.Kind == Kind.Top && s.Plan.Entities[0].Entity.Kind != Kind.Body)
            {
                tops++;
                Assert.True(box.Y0 >= head.Y0 + 0.5f * head.Height, $"{s.Key}: top starts at {box.Y0}, above the middle of the head {head}");
                Assert.True(box.Y1 > head.Y1, $"{s.Key}: top ends at {box.Y1}, not below the head {head}");
            }
            else if (item.Entity.Kind == Kind.Bag)
            {
                bags++;
                var body = s.Plan.Entities[0].Entity.Anchors!.Body!.Value;
                var e = fx.Emoji.Sprite(s.Plan.Entities[0].Entity.Hex).Extent;
                var bodyCanvas = body.Map(new Box(e.Left, e.Top, e.Right, e.Bottom), s.Placements.Single(p => p.Index == 0).Rect);
                var cx = (box.X0 + box.X1) / 2f;
                var atSide = MathF.Min(MathF.Abs(cx - bodyCanvas.X0), MathF.Abs(cx - bodyCanvas.X1));
                Assert.True(atSide <= 0.3f * (box.X1 - box.X0) + Tol, $"{s.Key}: bag centre {cx} is not at a side of the torso {bodyCanvas}");
            }
        }
        Assert.True(tops > 20 && bags > 5, $"too few cases: {tops} tops, {bags} bags");
    }

    [Fact]
    public void Food_and_toys_stand_beside_the_subject_at_a_smaller_scale()
    {
        var cases = 0;
        foreach (var s in Scenes(600))
        {
            var besides = s.Plan.Entities.Select((p, i) => (p, i)).Where(t => t.p.Role == Role.Beside).ToList();
            if (besides.Count == 0) continue;
            cases++;
            var (_, index) = besides[0];
            var rect = s.Placements.Single(p => p.Index == index).Rect;
            var group = s.Placements.Where(p => p.Index != index).Select(p => p.Rect).Aggregate((a, b) => a.Union(b));
            // Beside: its centre lies outside the subject group, left or right.
            Assert.True(rect.CenterX < group.X0 || rect.CenterX > group.X1, $"{s.Key}: item centre {rect.CenterX} inside the group {group}");
            // Smaller: its box no larger than the head, and standing in the lower part of the group.
            var head = SubjectHead(s);
            Assert.True(MathF.Max(rect.Width, rect.Height) <= head.Height + 1e-3f, $"{s.Key}: item {rect} not smaller than the head {head}");
            Assert.True(rect.Y1 >= group.Y1 - 0.25f * group.Height - 1e-3f && rect.Y1 <= group.Y1 + 1e-3f, $"{s.Key}: item bottom {rect.Y1} not at hand height in {group}");
            // Drawn last: never hidden.
            var r = s.Rendered.Entities[index];
            Assert.Equal(r.FullArea, r.Area);
        }
        Assert.True(cases > 100, $"too few cases: {cases}");
    }

    [Fact]
    public void Every_entity_stays_visible()
    {
        foreach (var s in Scenes(400))
            foreach (var e in s.Rendered.Entities)
                Assert.True(e.Area >= 12 && e.Area >= Composer.MinVisibleShare * e.FullArea, $"{s.Key}: entity {e.Index} shows {e.Area} of {e.FullArea} pixels");
    }
}
