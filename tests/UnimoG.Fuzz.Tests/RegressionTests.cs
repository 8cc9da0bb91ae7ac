using UnimoG.Data.Config;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Imaging;

namespace UnimoG.Fuzz.Tests;

/// <summary>
/// Every crash the fuzzers found, as the minimal input they shrank it to: each names the contract it broke and the fix.
/// </summary>
public class RegressionTests
{
    private static string Options(string auth) =>
        """{"Auth": {"ApiKeys": {"ci": {"Sha256": "KEY"}}, AUTH}}""".Replace("KEY", new string('a', 64)).Replace("AUTH", auth);

    // JwtOptions.Validate read the length of a null list entry (JSON null binds as null): NullReferenceException.
    [Theory]
    [InlineData("""  "Jwt": {"Issuer": "i", "Audience": "a", "SigningKeys": [null]}  """, "SigningKeys:0")]
    [InlineData("""  "Jwt": {"Issuer": "i", "Audience": "a", "RsaPublicKeys": [null]}  """, "RsaPublicKeys:0")]
    public void A_null_jwt_key_is_a_validation_error(string auth, string key)
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => ConfigReaders.Read("options.json", Options(auth)));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    // A path with a NUL character reached Path.GetFullPath: ArgumentException instead of the config error naming the key.
    [Theory]
    [InlineData("unet", "model.unet")]
    [InlineData("unet_config", "model.unet_config")]
    public void A_nul_in_a_training_config_path_names_the_key(string key, string expected)
    {
        var json = File.ReadAllText(Path.Combine(Corpus.Folder("configs"), "train-stage1.json"))
            .Replace("\"unet_config\": \"mini-unet-config.json\"", $"\"{key}\": \"a\\u0000b\"", StringComparison.Ordinal);
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(json, Corpus.Folder("configs")));
        Assert.Equal(expected, e.Key);
        Assert.Contains("NUL", e.Problem, StringComparison.Ordinal);
    }

    // A config path naming a device was read until memory ran out (a training config arrives over gRPC too).
    [Fact]
    public void A_config_path_naming_a_device_fails_instead_of_reading_forever()
    {
        var json = File.ReadAllText(Path.Combine(Corpus.Folder("configs"), "train-stage1.json"))
            .Replace("\"mini-unet-config.json\"", "\"/dev/zero\"", StringComparison.Ordinal);
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(json, Corpus.Folder("configs")));
        Assert.Contains("not a config file", e.Message, StringComparison.Ordinal);
    }

    // 1e400 read as infinity, which System.Text.Json then refused to write back (ArgumentException from Write).
    [Fact]
    public void An_overflowing_number_is_refused_naming_the_key()
    {
        var json = File.ReadAllText(Path.Combine(Corpus.Folder("configs"), "scheduler-zero-snr.json"))
            .Replace("\"dynamic_thresholding_ratio\": 0.995", "\"dynamic_thresholding_ratio\": 1e400", StringComparison.Ordinal);
        Assert.Contains("1e400", json, StringComparison.Ordinal);
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<UnimoG.Modeling.Schedulers.DdimSchedulerConfig>(json, "fuzz"));
        Assert.Equal("dynamic_thresholding_ratio", e.Key);
        Assert.Equal("expected a finite number, got 1e400", e.Problem);
    }

    // A string holding an escaped lone surrogate where a number belongs: explaining the error called GetString, which
    // threw InvalidOperationException instead of the ConfigException naming the key.
    [Fact]
    public void A_lone_surrogate_where_a_number_belongs_names_the_key()
    {
        var json = File.ReadAllText(Path.Combine(Corpus.Folder("configs"), "scheduler-zero-snr.json"))
            .Replace("\"dynamic_thresholding_ratio\": 0.995", "\"dynamic_thresholding_ratio\": \"\\uDDDD\"", StringComparison.Ordinal);
        Assert.Contains("uDDDD", json, StringComparison.Ordinal);
        var e = Assert.Throws<ConfigException>(() => ConfigJson.Parse<UnimoG.Modeling.Schedulers.DdimSchedulerConfig>(json, "fuzz"));
        Assert.Equal("dynamic_thresholding_ratio", e.Key);
    }

    // A scheduler config whose root is a string, not an object: reading its _class_name threw InvalidOperationException.
    [Fact]
    public void A_sampler_config_that_is_no_object_fails_naming_the_file()
    {
        var e = Assert.Throws<ConfigException>(() => UnimoG.Modeling.Schedulers.SchedulerFiles.Parse("\"xxxx\"", "fuzz"));
        Assert.Equal("fuzz", e.File);
    }

    // "phases": [null, ...] deserialised a null record, which the phase checks then dereferenced.
    [Fact]
    public void A_null_element_in_a_list_of_records_names_the_key()
    {
        var json = File.ReadAllText(Path.Combine(Corpus.Folder("configs"), "train-stage2.json"))
            .Replace("\"phases\": [", "\"phases\": [null, ", StringComparison.Ordinal);
        var e = Assert.Throws<ConfigException>(() => TrainingConfig.Parse(json, Corpus.Folder("configs")));
        Assert.Equal("phases", e.Key);
    }

    // Under limits a deployment may set (only positivity is checked), a GIF claiming 1x26985... pixels overflowed the
    // RGBA size (checked multiply): OverflowException instead of "too large". Shrunk input, then a plain PNG bomb.
    [Theory]
    [InlineData("R0lGODlhAWlpaWlpaQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")]
    public void A_header_too_big_for_memory_is_too_large_not_an_overflow(string base64)
    {
        var huge = new ImageLimits { MaxBytes = long.MaxValue, MaxSide = int.MaxValue, MaxPixels = long.MaxValue };
        foreach (var bytes in new[] { Convert.FromBase64String(base64), UnimoG.TestSupport.TestImages.PngHeaderOnly(40_000, 40_000) })
            Assert.Equal(ImageDecodeError.TooLarge, Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bytes, huge)).Reason);
    }

    // An empty tensor whose other dimensions overflow passed (0 bytes) and made libtorch throw "Stride calculation
    // overflowed" (ExternalException) when the torch assembler allocated it.
    [Fact]
    public void An_empty_tensor_with_overflowing_strides_is_refused()
    {
        var c = new TensorStreamCase([new TensorSpec("latent", Contracts.Tensors.TensorDataType.INT32, [], 1000)],
            [new StreamEdit(StreamEditKind.SetShape, 578, 0, "aaaa")], Torch: true);
        Assert.Equal([0, int.MaxValue, 3, long.MaxValue], c.Chunks()[0].Shape);
        using var assembler = UnimoG.Client.Torch.TorchTensorStreams.Assembler();
        var e = Assert.Throws<Contracts.Tensors.TensorStreamException>(() => assembler.Accept(c.Chunks()[0]));
        Assert.Contains("overflows", e.Message, StringComparison.Ordinal);
    }

    // The placeholder pattern's \d matched non-ASCII digits, which int.Parse refused: FormatException from the parser.
    [Theory]
    [InlineData("<img\uFF11>")]
    [InlineData("a <img\u0663> b")]
    public void A_placeholder_with_non_ascii_digits_is_plain_text(string text)
    {
        var prompt = UnimoG.Text.Prompts.MultimodalPrompt.FromText(text, []);
        Assert.Equal(UnimoG.Text.Prompts.MultimodalPrompt.NormalizeText(text), prompt.ToString());
    }
}
