namespace UnimoG.Distributed;

/// <summary>Collectives over managed arrays and strings (control traffic: metrics, flags, paths, generator states).</summary>
public static unsafe class Collectives
{
    /// <summary>Sums (or maxes) <paramref name="values"/> over every rank, in place.</summary>
    public static void AllReduce(this ICollectives c, double[] values, ReduceOp op, string what)
    {
        fixed (double* p = values) c.AllReduce((IntPtr)p, values.Length, ElementType.Float64, op, what);
    }

    /// <summary>Rank <paramref name="root"/>'s bytes to every rank (the length first, then the bytes).</summary>
    public static byte[] Broadcast(this ICollectives c, byte[]? bytes, int root, string what)
    {
        var length = new[] { (long)(bytes?.Length ?? 0) };
        fixed (long* pl = length) c.Broadcast((IntPtr)pl, 1, ElementType.Int64, root, what);
        var buffer = c.Rank == root ? bytes! : new byte[length[0]];
        fixed (byte* p = buffer) c.Broadcast((IntPtr)p, buffer.Length, ElementType.Byte, root, what);
        return buffer;
    }

    public static string Broadcast(this ICollectives c, string? text, int root, string what) =>
        System.Text.Encoding.UTF8.GetString(c.Broadcast(text is null ? null : System.Text.Encoding.UTF8.GetBytes(text), root, what));
}
