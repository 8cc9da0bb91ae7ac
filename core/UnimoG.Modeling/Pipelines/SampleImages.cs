using static TorchSharp.torch;

namespace UnimoG.Modeling.Pipelines;

/// <summary>
/// Simple deterministic pictures (a flat background with one to three coloured rectangles and discs) for
/// fitting preview factors when no sample images are given: colourful, varied, and a pure function of the seed.
/// </summary>
public static class SampleImages
{
    /// <summary>[count, 3, size, size] in [-1, 1].</summary>
    public static Tensor Shapes(int count, int size, long seed)
    {
        var g = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var ys = arange(size, dtype: ScalarType.Float32).reshape(size, 1).expand(size, size); // [H, W] row index
        var xs = arange(size, dtype: ScalarType.Float32).reshape(1, size).expand(size, size); // [H, W] column index
        var images = new List<Tensor>();
        for (var i = 0; i < count; i++)
        {
            var image = (rand([3, 1, 1], generator: g) * 2 - 1).expand(3, size, size).clone();  // [3, H, W] background
            var shapes = 1 + (int)(rand([1], generator: g).item<float>() * 3);
            for (var s = 0; s < shapes; s++)
            {
                var p = (rand([5], generator: g) * size).data<float>().ToArray();             // x, y, w/r, h, kind
                var colour = (rand([3, 1, 1], generator: g) * 2 - 1).expand(3, size, size);
                var mask = p[4] < size / 2f
                    ? (xs - p[0]).abs().le(p[2] / 3 + 2).logical_and((ys - p[1]).abs().le(p[3] / 3 + 2))       // rectangle
                    : ((xs - p[0]).pow(2) + (ys - p[1]).pow(2)).le(MathF.Pow(p[2] / 3 + 2, 2));                 // disc
                image = where(mask.unsqueeze(0), colour, image);
            }
            images.Add(image);
        }
        return stack(images).MoveToOuterDisposeScope();
    }
}
