using UnimoG.Imaging;

namespace UnimoG.EmojiWorld.Tests;

/// <summary>Checks against the real Noto art (installed by scripts/fetch-emoji-art.sh; skipped when it cannot be).</summary>
public class RealArtTests(RealArtFixture fx) : IClassFixture<RealArtFixture>
{
    [SkippableFact]
    public void Every_catalog_emoji_and_scenery_background_is_in_the_package()
    {
        var art = fx.Require();
        art.Validate(EmojiCatalog.Default, BackgroundCatalog.Default);
        Assert.Equal(EmojiArt.PackageVersion, art.Version);
        // Every entity comes from an allowed part of emoji.json: never flags, symbols or skin-tone components.
        foreach (var e in EmojiCatalog.Default.Entities)
        {
            var source = art.Source(e.Hex);
            Assert.NotNull(source);
            Assert.Contains(source, EmojiCatalog.AllowedSources[e.Category]);
            Assert.False(source!.StartsWith("Flags") || source.StartsWith("Symbols") || source.StartsWith("Component"), $"{e}: {source}");
        }
        foreach (var e in EmojiCatalog.Default.Entities)
        {
            var s = art.Sprite(e.Hex);
            Assert.True(s.Extent.Width >= 16 && s.Extent.Height >= 16, $"{e}: drawing only {s.Extent}");
        }
    }

    [SkippableFact]
    public void Scenery_backgrounds_are_opaque_inside_their_crop()
    {
        var art = fx.Require();
        foreach (var scene in BackgroundCatalog.Default.Scenes)
        {
            var s = art.Sprite(scene.Hex);
            for (var y = 4; y < 60; y++)
            for (var x = 4; x < 60; x++)
                Assert.True(s.Rgba[(y * 64 + x) * 4 + 3] == 255, $"{scene.Id}: pixel ({x},{y}) is not opaque");
        }
    }

    [SkippableFact]
    public void Curated_heads_are_drawn_and_eyes_look_dark()
    {
        var art = fx.Require();
        foreach (var e in EmojiCatalog.Default.Entities.Where(e => e.Category == Category.Living))
        {
            var s = art.Sprite(e.Hex);
            var a = e.Anchors!;
            int inside = 0, opaque = 0;
            for (var y = (int)a.Head.Y0; y < (int)a.Head.Y1; y++)
            for (var x = (int)a.Head.X0; x < (int)a.Head.X1; x++)
            {
                inside++;
                if (s.Rgba[(y * 64 + x) * 4 + 3] >= 128) opaque++;
            }
            Assert.True(opaque >= 0.6 * inside, $"{e}: head box {a.Head} is only {100.0 * opaque / inside:0}% drawn");
            // Eyes are dark pixels near the eye line, inside the head.
            var dark = 0;
            for (var y = (int)a.EyesY - 3; y <= (int)a.EyesY + 3; y++)
            for (var x = (int)a.Head.X0; x < (int)a.Head.X1; x++)
            {
                var i = (y * 64 + x) * 4;
                var luma = 0.299 * s.Rgba[i] + 0.587 * s.Rgba[i + 1] + 0.114 * s.Rgba[i + 2];
                if (s.Rgba[i + 3] >= 200 && luma < 110) dark++;
            }
            Assert.True(dark >= 4, $"{e}: no dark (eye) pixels around eyes={a.EyesY}");
        }
    }

    [SkippableFact]
    public void Real_scenes_keep_their_invariants()
    {
        var art = fx.Require();
        var composer = new Composer(art);
        foreach (var split in Enum.GetValues<Split>())
        {
            for (var i = 0; i < 40; i++)
            {
                var s = composer.Compose(split, 0, i);
                var r = s.Record;
                foreach (var e in r.Entities)
                {
                    Assert.Equal(e.NameEn, r.CaptionEn[e.SpanEn[0]..e.SpanEn[1]]);
                    Assert.Equal(e.NameZh, r.CaptionZh[e.SpanZh[0]..e.SpanZh[1]]);
                    Assert.True(split != Split.Train || !e.HeldOut);
                    Assert.True(split != Split.Bench || e.HeldOut);
                }
                foreach (var e in s.Rendered.Entities)
                {
                    Assert.True(e.Area >= Composer.MinVisibleShare * e.FullArea);
                    for (var p = 0; p < 64 * 64; p++)
                        Assert.Equal(e.Layer[p * 4 + 3] >= SceneRenderer.MaskAlpha, e.Mask[p]);
                }
            }
        }
    }

    [SkippableFact]
    public void Reference_images_are_the_emoji_alone_on_transparent_or_white()
    {
        var art = fx.Require();
        var folder = Path.Combine(Path.GetTempPath(), "emojiworld-refs-" + Guid.NewGuid().ToString("N"));
        try
        {
            var list = References.Write(art, EmojiCatalog.Default, folder, Split.Bench, ReferenceBackground.Transparent);
            Assert.Equal(EmojiCatalog.Default.Entities.Count(e => e.HeldOut), list.Count);
            Assert.True(File.Exists(Path.Combine(folder, "NOTICE")) && File.Exists(Path.Combine(folder, "LICENSE-Apache-2.0")));
            foreach (var r in list)
            {
                var (rgba, w, h) = ImageDecoder.Decode(File.ReadAllBytes(Path.Combine(folder, r.File)));
                Assert.Equal((64, 64), (w, h));
                var sprite = art.Sprite(r.Hex);
                // Transparent: the art's own pixels wherever they are visible.
                for (var i = 0; i < 64 * 64; i++)
                    if (sprite.Rgba[i * 4 + 3] > 0)
                        Assert.True(rgba.AsSpan(i * 4, 4).SequenceEqual(sprite.Rgba.AsSpan(i * 4, 4)), $"{r.File} pixel {i}");
            }
            // White: over-composited onto white, opaque.
            var teddy = EmojiCatalog.Default.Entities.Single(e => e.NameEn == "teddy bear");
            var (white, _, _) = ImageDecoder.Decode(References.Encode(art.Sprite(teddy.Hex), ReferenceBackground.White));
            var src = art.Sprite(teddy.Hex).Rgba;
            for (var i = 0; i < 64 * 64; i++)
            {
                Assert.Equal(255, white[i * 4 + 3]);
                var a = src[i * 4 + 3] / 255.0;
                for (var c = 0; c < 3; c++)
                    Assert.InRange(white[i * 4 + c], src[i * 4 + c] * a + 255 * (1 - a) - 0.51, src[i * 4 + c] * a + 255 * (1 - a) + 0.51);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
