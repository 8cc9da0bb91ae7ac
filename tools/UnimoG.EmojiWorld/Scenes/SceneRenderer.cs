using SkiaSharp;

namespace UnimoG.EmojiWorld;

/// <summary>One entity as it appears in the scene: its visible pixels, mask and box.</summary>
/// <param name="Layer">64x64 unpremultiplied RGBA: the entity's own colour, alpha = its visible coverage.</param>
/// <param name="Mask">64x64, true where the layer's alpha byte is >= <see cref="SceneRenderer.MaskAlpha"/>.</param>
/// <param name="Box">Bounding box of the mask in whole pixels, [x0, x1) x [y0, y1); null when the mask is empty.</param>
/// <param name="FullArea">Mask pixels the entity would cover were nothing drawn over it.</param>
public sealed record RenderedEntity(int Index, byte[] Layer, bool[] Mask, (int X0, int Y0, int X1, int Y1)? Box, int Area, int FullArea, int Z);

/// <summary>A rendered scene: 64x64 RGB pixels and one <see cref="RenderedEntity"/> per planned entity (plan order).</summary>
public sealed record RenderedScene(byte[] Rgb, IReadOnlyList<RenderedEntity> Entities);

/// <summary>
/// Draws a planned, laid-out scene. Each entity is resampled by Skia (premultiplied colour; trilinear
/// mipmaps when shrinking, Mitchell cubic when enlarging) onto its own
/// transparent 64x64 layer; the background is painted (colours and gradients here, scenery by Skia); the
/// layers are composited back to front with Porter-Duff "over" in floating point. An entity's visible
/// coverage is its alpha times the transparency of every layer drawn over it, so occluded pixels leave its
/// layer and mask, and re-compositing the layers over the background gives back the scene.
/// </summary>
public static class SceneRenderer
{
    public const int N = Sprite.Size;
    /// <summary>A pixel belongs to an entity's mask when its layer alpha is at least this (out of 255).</summary>
    public const byte MaskAlpha = 128;

    public static RenderedScene Render(ScenePlan plan, IReadOnlyList<Placement> placements, Func<string, Sprite> sprite)
    {
        var scene = Background(plan.Background, sprite); // premultiplied RGBA floats, opaque
        var drawn = placements.Select(p => DrawLayer(sprite(plan.Entities[p.Index].Entity.Hex), p.Rect, p.ClipBottom)).ToArray();

        // Front to back: transmittance T of everything in front of layer k.
        var visible = new float[drawn.Length][];
        var t = new float[N * N];
        Array.Fill(t, 1f);
        for (var k = drawn.Length - 1; k >= 0; k--)
        {
            var layer = drawn[k];
            var v = visible[k] = new float[N * N];
            for (var i = 0; i < N * N; i++)
            {
                var a = layer[i * 4 + 3];
                v[i] = a * t[i];
                t[i] *= 1 - a;
            }
        }
        // Back to front: over-composite onto the background.
        foreach (var layer in drawn)
        {
            for (var i = 0; i < N * N; i++)
            {
                var inv = 1 - layer[i * 4 + 3];
                for (var c = 0; c < 3; c++)
                    scene[i * 4 + c] = layer[i * 4 + c] + scene[i * 4 + c] * inv;
            }
        }

        var rgb = new byte[N * N * 3];
        for (var i = 0; i < N * N; i++)
            for (var c = 0; c < 3; c++)
                rgb[i * 3 + c] = ToByte(scene[i * 4 + c]);

        var entities = new RenderedEntity[plan.Entities.Count];
        for (var z = 0; z < placements.Count; z++)
        {
            var index = placements[z].Index;
            entities[index] = Visible(index, z, drawn[z], visible[z]);
        }
        return new RenderedScene(rgb, entities);
    }

    private static RenderedEntity Visible(int index, int z, float[] premul, float[] visible)
    {
        var layer = new byte[N * N * 4];
        var mask = new bool[N * N];
        int area = 0, full = 0, x0 = N, y0 = N, x1 = 0, y1 = 0;
        for (var i = 0; i < N * N; i++)
        {
            var a = premul[i * 4 + 3];
            if (ToByte(a) >= MaskAlpha) full++;
            var alpha = ToByte(visible[i]);
            if (alpha == 0) continue;
            for (var c = 0; c < 3; c++)
                layer[i * 4 + c] = ToByte(premul[i * 4 + c] / a);
            layer[i * 4 + 3] = alpha;
            if (alpha < MaskAlpha) continue;
            mask[i] = true;
            area++;
            int x = i % N, y = i / N;
            x0 = Math.Min(x0, x); y0 = Math.Min(y0, y); x1 = Math.Max(x1, x + 1); y1 = Math.Max(y1, y + 1);
        }
        return new RenderedEntity(index, layer, mask, area > 0 ? (x0, y0, x1, y1) : null, area, full, z);
    }

    /// <summary>The sprite's visible extent drawn into <paramref name="rect"/> on a transparent 64x64 layer: premultiplied RGBA floats.</summary>
    internal static float[] DrawLayer(Sprite s, Box rect, float? clipBottom = null)
    {
        var scale = MathF.Min(rect.Width / s.Extent.Width, rect.Height / s.Extent.Height);
        var sampling = Sampling(scale);
        return Draw(canvas =>
        {
            if (clipBottom is { } y)
                canvas.ClipRect(new SKRect(0, 0, N, y), antialias: true);
            canvas.DrawImage(s.Image, SKRect.Create(s.Extent.Left, s.Extent.Top, s.Extent.Width, s.Extent.Height),
                new SKRect(rect.X0, rect.Y0, rect.X1, rect.Y1), sampling);
        });
    }

    /// <summary>
    /// Skia's former "high" filter quality: trilinear mipmaps when shrinking (no ringing, so flat colours stay
    /// exact), Mitchell cubic when enlarging.
    /// </summary>
    internal static SKSamplingOptions Sampling(float scale) => scale < 1f
        ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
        : new SKSamplingOptions(SKCubicResampler.Mitchell);

    private static float[] Background(BackgroundPlan bg, Func<string, Sprite> sprite)
    {
        switch (bg.Kind)
        {
            case BackgroundKind.Scene:
            {
                // Scenery emoji are a 60x60 picture with rounded corners inside a 2-pixel transparent border:
                // crop 4 pixels in and stretch to the canvas.
                var s = sprite(bg.Scene!.Hex);
                var px = Draw(c => c.DrawImage(s.Image, new SKRect(4, 4, N - 4, N - 4), new SKRect(0, 0, N, N),
                    new SKSamplingOptions(SKCubicResampler.Mitchell)));
                for (var i = 0; i < N * N; i++)
                {
                    // Any alpha left at the rim is flattened onto white.
                    var a = px[i * 4 + 3];
                    for (var c = 0; c < 3; c++) px[i * 4 + c] += 1 - a;
                    px[i * 4 + 3] = 1;
                }
                return px;
            }
            default:
            {
                var px = new float[N * N * 4];
                // Gradient along the direction of the angle, from Colour1 to Colour2 across the canvas.
                var rad = bg.AngleDegrees * MathF.PI / 180;
                float dx = MathF.Cos(rad), dy = MathF.Sin(rad);
                var half = (MathF.Abs(dx) + MathF.Abs(dy)) * (N - 1) / 2;
                for (var y = 0; y < N; y++)
                for (var x = 0; x < N; x++)
                {
                    var f = bg.Kind == BackgroundKind.Colour ? 0 : ((x - (N - 1) / 2f) * dx + (y - (N - 1) / 2f) * dy) / half * 0.5f + 0.5f;
                    var i = (y * N + x) * 4;
                    px[i] = Lerp(bg.Colour1.R, bg.Colour2.R, f);
                    px[i + 1] = Lerp(bg.Colour1.G, bg.Colour2.G, f);
                    px[i + 2] = Lerp(bg.Colour1.B, bg.Colour2.B, f);
                    px[i + 3] = 1;
                }
                return px;
            }
        }
    }

    private static float Lerp(byte a, byte b, float f) => (a + (b - a) * f) / 255f;

    private static float[] Draw(Action<SKCanvas> paint)
    {
        var info = new SKImageInfo(N, N, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info) ?? throw new InvalidOperationException("Skia could not create a raster surface.");
        surface.Canvas.Clear(SKColors.Transparent);
        paint(surface.Canvas);
        var bytes = new byte[info.BytesSize];
        unsafe
        {
            fixed (byte* p = bytes)
            {
                if (!surface.ReadPixels(info, (IntPtr)p, info.RowBytes, 0, 0))
                    throw new InvalidOperationException("Skia could not read back a layer.");
            }
        }
        var f = new float[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) f[i] = bytes[i] / 255f;
        return f;
    }

    internal static byte ToByte(float v) => (byte)Math.Clamp(MathF.Round(v * 255f), 0f, 255f);
}
