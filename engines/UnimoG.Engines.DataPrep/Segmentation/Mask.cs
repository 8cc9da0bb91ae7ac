using UnimoG.Engines.DataPrep.Entities;
using UnimoG.Imaging;

namespace UnimoG.Engines.DataPrep.Segmentation;

/// <summary>A binary mask over an image, row-major [H, W].</summary>
public sealed class Mask
{
    public Mask(int width, int height, bool[] data)
    {
        if (data.Length != width * height)
            throw new ArgumentException($"mask data has {data.Length} values, {width}x{height} needs {width * height}");
        Width = width;
        Height = height;
        Data = data;
    }

    public int Width { get; }
    public int Height { get; }
    public bool[] Data { get; }

    public bool this[int x, int y] => Data[y * Width + x];

    public int Area => Data.Count(v => v);

    /// <summary>An 8-bit greyscale PNG of the mask: 255 inside, 0 outside.</summary>
    public byte[] ToPng()
    {
        var gray = new byte[Data.Length];
        for (var i = 0; i < gray.Length; i++)
            gray[i] = Data[i] ? (byte)255 : (byte)0;
        return PngEncoder.EncodeGray(gray, Width, Height);
    }

    /// <summary>The tightest pixel box [x0, y0, x1, y1) holding the mask, or null when it is empty.</summary>
    public BoxXyxy? Bounds()
    {
        int x0 = Width, y0 = Height, x1 = -1, y1 = -1;
        for (var y = 0; y < Height; y++)
        for (var x = 0; x < Width; x++)
        {
            if (!Data[y * Width + x]) continue;
            x0 = Math.Min(x0, x); x1 = Math.Max(x1, x);
            y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
        }
        return x1 < 0 ? null : new BoxXyxy(x0, y0, x1 + 1, y1 + 1);
    }

    /// <summary>The pixel-aligned box covering <paramref name="box"/>: floor of the start, ceiling of the end, clamped.</summary>
    public static (int X0, int Y0, int X1, int Y1) PixelBox(BoxXyxy box, int width, int height) =>
    (
        Math.Clamp((int)MathF.Floor(box.X0), 0, width), Math.Clamp((int)MathF.Floor(box.Y0), 0, height),
        Math.Clamp((int)MathF.Ceiling(box.X1), 0, width), Math.Clamp((int)MathF.Ceiling(box.Y1), 0, height)
    );

    /// <summary>This mask with everything outside the pixel box of <paramref name="box"/> cleared.</summary>
    public Mask ClipTo(BoxXyxy box)
    {
        var (x0, y0, x1, y1) = PixelBox(box, Width, Height);
        var data = new bool[Data.Length];
        for (var y = y0; y < y1; y++)
            Array.Copy(Data, y * Width + x0, data, y * Width + x0, x1 - x0);
        return new Mask(Width, Height, data);
    }

    /// <summary>A mask that fills the pixel box of <paramref name="box"/>.</summary>
    public static Mask FromBox(BoxXyxy box, int width, int height)
    {
        var (x0, y0, x1, y1) = PixelBox(box, width, height);
        var data = new bool[width * height];
        for (var y = y0; y < y1; y++)
            Array.Fill(data, true, y * width + x0, x1 - x0);
        return new Mask(width, height, data);
    }

    /// <summary>
    /// COCO's uncompressed RLE: run lengths over the pixels in column-major (Fortran) order, starting with a run of
    /// zeros (possibly of length 0). <c>pycocotools.mask.frPyObjects({"size": [h, w], "counts": counts}, h, w)</c>
    /// decodes it.
    /// </summary>
    public int[] ToCocoRle()
    {
        var counts = new List<int>();
        var current = false;
        var run = 0;
        for (var x = 0; x < Width; x++)
        for (var y = 0; y < Height; y++)
        {
            var v = Data[y * Width + x];
            if (v != current)
            {
                counts.Add(run);
                run = 0;
                current = v;
            }
            run++;
        }
        counts.Add(run);
        return counts.ToArray();
    }

    public static Mask FromCocoRle(int width, int height, IReadOnlyList<int> counts)
    {
        var data = new bool[width * height];
        var (i, value) = (0, false);
        foreach (var count in counts)
        {
            if (count < 0 || i + count > data.Length)
                throw new InvalidDataException($"RLE counts overrun a {width}x{height} mask");
            for (var k = 0; k < count; k++, i++)
                data[i % height * width + i / height] = value;
            value = !value;
        }
        if (i != data.Length)
            throw new InvalidDataException($"RLE counts cover {i} pixels, a {width}x{height} mask has {data.Length}");
        return new Mask(width, height, data);
    }
}
