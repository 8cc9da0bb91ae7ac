using System.Runtime.InteropServices;

namespace UnimoG.Data.Checkpoints;

/// <summary>fsync for files and folders: a rename is durable only once the folder that holds it is synced.</summary>
internal static class DirectorySync
{
    public static void File(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>fsync a directory (Linux; a no-op elsewhere, where .NET offers no way to do it).</summary>
    public static void Folder(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = open(dir, 0x10000 /* O_DIRECTORY */);
        if (fd < 0) return;
        try { fsync(fd); } finally { close(fd); }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc")]
    private static extern int close(int fd);
}
