using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace UnimoG.Studio;

/// <summary>
/// The page's files: by default those of <c>hosts/UnimoG.Studio/wwwroot/</c> embedded in this assembly (whatever the page's
/// build put there); a host or a test registers another <see cref="StudioFiles"/> to serve its own folder.
/// </summary>
public sealed class StudioFiles(IFileProvider files)
{
    public IFileProvider Files { get; } = files;

    /// <summary>Extensions to content types (ASP.NET Core's table: .html, .js, .mjs, .css, .svg, .png, .wasm, .json, .map, .woff2, ...).</summary>
    public FileExtensionContentTypeProvider ContentTypes { get; } = new();

    /// <summary>The embedded <c>wwwroot</c>; no files at all (a checkout before the page is built) serves only 404s.</summary>
    public static StudioFiles Embedded()
    {
        var assembly = typeof(StudioFiles).Assembly;
        try
        {
            return new StudioFiles(new ManifestEmbeddedFileProvider(assembly, "wwwroot"));
        }
        catch (InvalidOperationException)
        {
            // The manifest has no wwwroot folder: nothing was embedded.
            return new StudioFiles(new NullFileProvider());
        }
    }
}
