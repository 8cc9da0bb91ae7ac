using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace UnimoG.Data.Config;

/// <summary>
/// The one reader and writer of config files: diffusers' (<c>unet/config.json</c>, <c>scheduler_config.json</c>),
/// transformers' (<c>config.json</c>, <c>preprocessor_config.json</c>) and ours (the training config,
/// <c>encoder_config.json</c>). A config is a C# record whose keys are its <c>[JsonPropertyName("snake_case")]</c>
/// properties, with the reference library's defaults; System.Text.Json reads it. The rules, the same for every file:
/// <list type="bullet">
/// <item><c>//</c> and <c>/* */</c> comments and trailing commas are allowed; numbers may be written <c>1e-4</c>; the bare
/// <c>NaN</c>/<c>Infinity</c>/<c>-Infinity</c> Python writes are read (<see cref="NonFiniteLiterals"/>).</item>
/// <item>Unknown keys: a key the record does not declare is refused, unless the record keeps unknown keys in a
/// <c>[JsonExtensionData]</c> property. The records of diffusers' and transformers' configs do: those files carry keys
/// of other classes and versions (EMA settings, <c>torch_dtype</c>, ...) that the libraries ignore too, and the record
/// lists them. Ours do not, so a misspelt key in a hand-written training config fails naming it.</item>
/// <item>null keeps the default where the type cannot be null, and is null where it can (<see cref="ConfigContract"/>).</item>
/// <item>Every problem is one <see cref="ConfigException"/> naming the file and the key; a record implementing
/// <see cref="IValidatedConfig"/> then checks its values.</item>
/// <item><see cref="Write{T}"/> writes the same records (sorted keys, two-space indent), so a written config reads back
/// equal.</item>
/// </list>
/// </summary>
public static class ConfigJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        IndentSize = 2,
        // "<ImageHere>" stays readable instead of "\u003CImageHere\u003E"; these files are never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { ConfigContract.Apply } },
        Converters = { new FiniteNumberConverter<double>(), new FiniteNumberConverter<float>() },
    };

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>
    /// Reads a config file. With <paramref name="section"/>, a component's config nested in a composite one is read
    /// from that key when the file has it (<c>text_config</c> of a CLIPModel config), else the whole file.
    /// </summary>
    public static T Read<T>(string path, string? section = null) where T : class
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"config not found: {path}", path);
        return Parse<T>(ReadText(path), path, section);
    }

    /// <summary>Largest config file read (16 MiB): configs are kilobytes.</summary>
    public const int MaxFileBytes = 16 << 20;

    // Bounded: a path that names a device (/dev/zero, e.g. a training config's unet_config sent over gRPC) or a huge
    // file fails naming the file instead of reading until memory runs out.
    private static string ReadText(string path)
    {
        using var file = File.OpenRead(path);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        for (int n; (n = file.Read(chunk)) > 0;)
        {
            if (buffer.Length + n > MaxFileBytes) throw new ConfigException(path, "", $"more than {MaxFileBytes:N0} bytes: not a config file");
            buffer.Write(chunk, 0, n);
        }
        buffer.Position = 0;
        using var reader = new StreamReader(buffer, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>Reads config text; <paramref name="file"/> is what errors call it (a path, or e.g. "sd15 unet config").</summary>
    public static T Parse<T>(string json, string file, string? section = null) where T : class
    {
        using var doc = Document(json, file);
        var root = doc.RootElement;
        var at = new ConfigLocation(file);
        if (section is not null && root.ValueKind == JsonValueKind.Object && root.TryGetProperty(section, out var nested) && nested.ValueKind == JsonValueKind.Object)
        {
            root = nested;
            at = at[section];
        }
        T config;
        try
        {
            config = root.Deserialize<T>(Options) ?? throw new JsonException();
        }
        catch (JsonException e)
        {
            throw ConfigJsonError.From(e, root, typeof(T), at, Options);
        }
        (config as IValidatedConfig)?.Validate(at);
        return config;
    }

    /// <summary>The config as JSON: every key (defaults included), sorted, two-space indent.</summary>
    public static string Write<T>(T config) where T : class => JsonSerializer.Serialize(config, Options);

    private static JsonDocument Document(string json, string file)
    {
        try
        {
            return JsonDocument.Parse(NonFiniteLiterals.Quote(json), DocumentOptions);
        }
        catch (JsonException e)
        {
            // "'x' is an invalid start of a value. LineNumber: 2 | BytePositionInLine: 4." -> one line with 1-based numbers.
            var what = e.Message.Split(" LineNumber:")[0].Split(" Path:")[0].TrimEnd('.');
            throw new ConfigException(file, "", $"not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {what}");
        }
    }
}
