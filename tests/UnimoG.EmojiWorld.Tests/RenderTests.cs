using UnimoG.TestSupport;
using UnimoG.Imaging;

namespace UnimoG.EmojiWorld.Tests;

/// <summary>Layers, masks and compositing, checked on scenes of synthetic flat-colour sprites.</summary>
public class RenderTests(SyntheticArtFixture fx) : IClassFixture<SyntheticArtFixture>
{
    private IEnumerable<ComposedScene> Scenes(int count, Split split = Split.All) =>
        fx.Scenes(split, 5, count);

    [Fact]
    public void Masks_are_layer_alpha_at_the_threshold_after_a_PNG_round_trip()
    {
        foreach (var s in Scenes(60))
        {
            var members = s.Members().ToDictionary(m => m.Name, m => m.Data);
            foreach (var e in s.Rendered.Entities)
            {
                var record = s.Record.Entities[e.Index];
                var (rgba, w, h) = ImageDecoder.Decode(members[record.Layer]);
                Assert.Equal((64, 64), (w, h));
                int area = 0, x0 = 64, y0 = 64, x1 = 0, y1 = 0;
                for (var i = 0; i < 64 * 64; i++)
                {
                    var inMask = rgba[i * 4 + 3] >= SceneRenderer.MaskAlpha;
                    Assert.Equal(inMask, e.Mask[i]);
                    if (!inMask) continue;
                    area++;
                    int x = i % 64, y = i / 64;
                    x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x + 1); y1 = Math.Max(y1, y + 1);
                }
                Assert.Equal(record.Area, area);
                Assert.Equal(new[] { x0, y0, x1, y1 }, record.Box);
            }
        }
    }

    [Fact]
    public void Layers_composited_over_the_background_give_back_the_scene()
    {
        var checkedScenes = 0;
        foreach (var s in Scenes(120).Where(s => s.Plan.Background.Kind == BackgroundKind.Colour))
        {
            checkedScenes++;
            var bg = s.Plan.Background.Colour1;
            byte[] bgRgb = [bg.R, bg.G, bg.B];
            // Visible alphas of all layers plus what shows of the background sum to one, so the scene is
            // background * (1 - sum of alphas) + sum of colour * alpha.
            var expected = new double[64 * 64 * 3];
            for (var i = 0; i < 64 * 64; i++)
            for (var c = 0; c < 3; c++)
            {
                double covered = 0, colour = 0;
                foreach (var e in s.Rendered.Entities)
                {
                    var a = e.Layer[i * 4 + 3] / 255.0;
                    covered += a;
                    colour += e.Layer[i * 4 + c] * a;
                }
                expected[i * 3 + c] = bgRgb[c] * (1 - covered) + colour;
            }
            TensorAssert.Close(expected, Array.ConvertAll(s.Rendered.Rgb, x => (double)x), rtol: 0, atol: 2.5, what: $"{s.Key} RGB (element = pixel * 3 + channel)");
        }
        Assert.True(checkedScenes > 20);
    }

    [Fact]
    public void Occluded_pixels_leave_the_layer_behind_and_colours_are_the_sprites_own()
    {
        foreach (var s in Scenes(200))
        {
            var byZ = s.Rendered.Entities.OrderBy(e => e.Z).ToList();
            for (var i = 0; i < 64 * 64; i++)
            {
                var sum = byZ.Sum(e => e.Layer[i * 4 + 3]);
                Assert.True(sum <= 255 + byZ.Count, $"{s.Key} pixel {i}: visible alphas add up to {sum}");
                for (var k = 0; k < byZ.Count; k++)
                {
                    // Anything fully opaque in front hides everything behind it.
                    if (byZ[k].Layer[i * 4 + 3] != 255) continue;
                    for (var j = 0; j < k; j++)
                        Assert.Equal(0, byZ[j].Layer[i * 4 + 3]);
                }
            }
            // Synthetic sprites are one flat colour: every visible pixel of a shrunk layer carries exactly it
            // (trilinear filtering of premultiplied colour cannot ring; enlarging uses Mitchell, which may).
            foreach (var e in s.Rendered.Entities)
            {
                var hex = s.Plan.Entities[e.Index].Entity.Hex;
                var rect = s.Placements.Single(p => p.Index == e.Index).Rect;
                if (rect.Width >= fx.Emoji.Sprite(hex).Extent.Width) continue;
                var c = SyntheticArt.ColourOf(hex);
                for (var i = 0; i < 64 * 64; i++)
                {
                    var a = e.Layer[i * 4 + 3];
                    if (a < 64) continue;
                    // Skia filters 8-bit premultiplied values (about 1 % error); dividing by alpha magnifies it.
                    var tol = 2 + 255 / a;
                    Assert.True(Math.Abs(e.Layer[i * 4] - c.R) <= tol && Math.Abs(e.Layer[i * 4 + 1] - c.G) <= tol && Math.Abs(e.Layer[i * 4 + 2] - c.B) <= tol,
                        $"{s.Key} entity {e.Index} pixel {i}: {e.Layer[i * 4]},{e.Layer[i * 4 + 1]},{e.Layer[i * 4 + 2]} instead of {c}");
                }
            }
        }
    }

    [Fact]
    public void Worn_items_really_occlude_the_wearer()
    {
        // A hat or glasses drawn over a head: the head's layer is empty where the item is opaque, and the
        // head's mask is smaller than the head alone.
        var seen = 0;
        foreach (var s in Scenes(300).Where(s => s.Plan.Entities.Any(p => p.Role == Role.Worn && p.Entity.Kind is Kind.Hat or Kind.Glasses)))
        {
            var head = s.Rendered.Entities[0];
            var item = s.Rendered.Entities.Single(e => s.Plan.Entities[e.Index].Role == Role.Worn);
            Assert.True(item.Z > head.Z);
            var overlap = Enumerable.Range(0, 64 * 64).Count(i => item.Layer[i * 4 + 3] == 255 && head.Layer[i * 4 + 3] > 0);
            Assert.Equal(0, overlap);
            Assert.True(head.Area < head.FullArea, $"{s.Key}: the worn item hides nothing of the wearer");
            seen++;
        }
        Assert.True(seen > 20);
    }

    [Fact]
    public void Flat_and_gradient_backgrounds_are_painted_exactly()
    {
        var art = fx.Emoji;
        var red = BackgroundCatalog.Default.Colours.First(c => c.Id == "red");
        var blue = BackgroundCatalog.Default.Colours.First(c => c.Id == "blue");
        var dog = EmojiCatalog.Default.Entities.First(e => e.NameEn == "dog");
        // Horizontal gradient from (200, 0, 0) to (0, 0, 200): column x holds (200 (63 - x) / 63, 0, 200 x / 63).
        var plan = new ScenePlan(Relation.Single, [new PlannedEntity(dog, Role.Subject)],
            new BackgroundPlan(BackgroundKind.Gradient, red, blue, (200, 0, 0), (0, 0, 200), 0, null, false));
        var placement = new Placement(0, new Box(20, 20, 30, 30));
        var rendered = SceneRenderer.Render(plan, [placement], art.Sprite);
        foreach (var (x, y) in new[] { (0, 0), (63, 0), (31, 63), (5, 40) })
        {
            var i = (y * 64 + x) * 3;
            Assert.Equal(Math.Round(200.0 * (63 - x) / 63), rendered.Rgb[i], 0);
            Assert.Equal(0, rendered.Rgb[i + 1]);
            Assert.Equal(Math.Round(200.0 * x / 63), rendered.Rgb[i + 2], 0);
        }
    }
}
