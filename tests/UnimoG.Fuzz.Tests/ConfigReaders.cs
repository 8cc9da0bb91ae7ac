using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using UnimoG.Data.Config;
using UnimoG.Engines.Gateway;
using UnimoG.Engines.Inference;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Hosting.Options;
using UnimoG.Hosting.Security;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Images;
using UnimoG.Modeling.Schedulers;

namespace UnimoG.Fuzz.Tests;

/// <summary>
/// The config readers, by corpus file name: each reads text and either returns (and the result passes its own
/// round-trip) or throws the reader's typed error, which <see cref="ConfigFuzzTests"/> accepts.
/// </summary>
public static class ConfigReaders
{
    public static void Read(string file, string json)
    {
        if (file.StartsWith("train-", StringComparison.Ordinal)) Training(json);
        else if (file.StartsWith("options", StringComparison.Ordinal)) Options(json);
        else if (file.Contains("unet", StringComparison.Ordinal)) RoundTrip<UNet2DConditionConfig>(json);
        else if (file.StartsWith("vae-", StringComparison.Ordinal)) RoundTrip<AutoencoderKLConfig>(json);
        else if (file.StartsWith("scheduler-", StringComparison.Ordinal)) RoundTrip<DdimSchedulerConfig>(json);
        else if (file.StartsWith("sampler-", StringComparison.Ordinal)) Sampler(json);
        else if (file.StartsWith("llama-", StringComparison.Ordinal)) RoundTrip<LlamaConfig>(json, "text_config");
        else if (file.StartsWith("clip-vision", StringComparison.Ordinal)) RoundTrip<ClipVisionConfig>(json, "vision_config");
        else if (file.StartsWith("qformer", StringComparison.Ordinal)) RoundTrip<QFormerConfig>(json, "qformer_config");
        else if (file.StartsWith("preprocessor-", StringComparison.Ordinal)) RoundTrip<ClipImageProcessorConfig>(json);
        else if (file.StartsWith("mllm-", StringComparison.Ordinal)) RoundTrip<MllmConfig>(json);
        else throw new InvalidOperationException($"no reader for corpus file {file}");
    }

    /// <summary>Whether <paramref name="e"/> is the typed error the reader of <paramref name="file"/> promises.</summary>
    public static bool Typed(string file, Exception e) => file.StartsWith("options", StringComparison.Ordinal)
        ? e is OptionsValidationException or FormatException or InvalidDataException
        : e is ConfigException;

    // Written back and read again, a config is the same config (what checkpoints and `models info` rely on).
    private static void RoundTrip<T>(string json, string? section = null) where T : class
    {
        var config = ConfigJson.Parse<T>(json, "fuzz", section);
        var written = ConfigJson.Write(config);
        var again = ConfigJson.Write(ConfigJson.Parse<T>(written, "fuzz written"));
        if (written != again) throw new InvalidOperationException($"{typeof(T).Name} does not read back as written:\n{written}\n---\n{again}");
    }

    // Any class by its _class_name; its config reads back as written.
    private static void Sampler(string json)
    {
        switch (SchedulerFiles.Parse(json, "fuzz"))
        {
            case DpmSolverScheduler d: RoundTrip<DpmSolverConfig>(ConfigJson.Write(d.Config)); break;
            case EulerScheduler e: RoundTrip<EulerConfig>(ConfigJson.Write(e.Config)); break;
            case EulerAncestralScheduler a: RoundTrip<EulerAncestralConfig>(ConfigJson.Write(a.Config)); break;
            case UniPcScheduler u: RoundTrip<UniPcConfig>(ConfigJson.Write(u.Config)); break;
            case DdimScheduler s: RoundTrip<DdimSchedulerConfig>(ConfigJson.Write(s.Config)); break;
        }
    }

    private static void Training(string json)
    {
        var config = TrainingConfig.Parse(json, Corpus.Folder("configs"), "fuzz training config");
        var hash = config.Hash();
        var again = TrainingConfig.Parse(ConfigJson.Write(config), Corpus.Folder("configs"), "fuzz written");
        if (again.Hash() != hash) throw new InvalidOperationException("the training config's hash changes when written and read back");
    }

    private static void Options(string json)
    {
        IConfiguration configuration;
        try
        {
            configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        }
        catch (JsonException e)
        {
            // The JSON provider's own parse error: what a host prints for a broken appsettings.json.
            throw new FormatException(e.Message, e);
        }
        Bind<GatewayOptions>(configuration, GatewayOptions.Section);
        Bind<HostingOptions>(configuration, HostingOptions.Section);
        Bind<ShutdownOptions>(configuration, ShutdownOptions.Section);
        Bind<TlsOptions>(configuration, TlsOptions.Section);
        Bind<AuthOptions>(configuration, AuthOptions.Section);
        Bind<DenoiserOptions>(configuration, DenoiserOptions.Section);
        Bind<EncoderOptions>(configuration, EncoderOptions.Section);
    }

    // As the hosts do at start: bind (a bad value is OptionsValidationException), then every check must answer in words.
    private static void Bind<T>(IConfiguration configuration, string section) where T : class, IValidatedOptions, new()
    {
        var options = UnimoGOptions.Read<T>(configuration, section);
        var problems = options.Validate(section).ToList();
        if (problems.Count > 0) throw new OptionsValidationException(section, typeof(T), problems);
    }

    /// <summary>The options corpus file: every section's defaults (what binding starts from).</summary>
    public static string DefaultOptions()
    {
        var json = new JsonSerializerOptions { WriteIndented = true, IgnoreReadOnlyProperties = true };
        var sections = new Dictionary<string, object>
        {
            [GatewayOptions.Section] = new GatewayOptions(), [HostingOptions.Section] = new HostingOptions(),
            [ShutdownOptions.Section] = new ShutdownOptions(), [TlsOptions.Section] = new TlsOptions(), [AuthOptions.Section] = new AuthOptions { ApiKeys = { ["ci"] = new ApiKeyOptions { Sha256 = new string('a', 64) } } },
            [DenoiserOptions.Section] = new DenoiserOptions(), [EncoderOptions.Section] = new EncoderOptions(),
        };
        return JsonSerializer.Serialize(sections.ToDictionary(kv => kv.Key, kv => JsonSerializer.SerializeToElement(kv.Value, kv.Value.GetType(), json)), json);
    }
}
