using System.Text;

namespace UnimoG.Data.Tests;

/// <summary>
/// USTAR archives written byte by byte from the format's definition (POSIX.1-1988: 512-byte headers, octal fields,
/// the checksum over the header with its own field as spaces), independent of System.Formats.Tar.
/// </summary>
internal static class HandTar
{
    public static byte[] Archive(params (string Name, string Text)[] members) =>
        Archive(members.Select(m => (m.Name, Encoding.UTF8.GetBytes(m.Text))).ToArray());

    public static byte[] Archive(params (string Name, byte[] Data)[] members)
    {
        var tar = new MemoryStream();
        foreach (var (name, data) in members)
        {
            tar.Write(Header(name, data.Length));
            tar.Write(data);
            tar.Write(new byte[Padded(data.Length) - data.Length]);
        }
        tar.Write(new byte[1024]);   // two zero blocks end the archive
        return tar.ToArray();
    }

    /// <summary>Bytes a member's data occupies: its length rounded up to whole 512-byte blocks.</summary>
    public static int Padded(int length) => (length + 511) / 512 * 512;

    private static byte[] Header(string name, int size)
    {
        var h = new byte[512];
        Put(h, 0, name);
        Put(h, 100, "0000644\0");
        Put(h, 108, "0000000\0");
        Put(h, 116, "0000000\0");
        Put(h, 124, Convert.ToString(size, 8).PadLeft(11, '0') + "\0");
        Put(h, 136, "00000000000\0");
        h[156] = (byte)'0';
        Put(h, 257, "ustar\0");
        Put(h, 263, "00");
        Put(h, 148, "        ");
        var sum = h.Sum(b => b);
        Put(h, 148, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return h;
    }

    private static void Put(byte[] header, int at, string ascii) => Encoding.ASCII.GetBytes(ascii).CopyTo(header, at);

    /// <summary>A header field as text, up to its first NUL.</summary>
    public static string Field(byte[] archive, int at, int length) =>
        Encoding.ASCII.GetString(archive, at, length).Split('\0')[0];
}
