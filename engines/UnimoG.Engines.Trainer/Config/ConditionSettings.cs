using System.Text.Json.Serialization;
using UnimoG.Data.Config;

namespace UnimoG.Engines.Trainer.Config;

/// <summary>Where condition tensors come from (<c>conditions</c>): the in-process frozen encoder, a cache, or the Encoder service.</summary>
public sealed record ConditionSettings : IValidatedConfig
{
    [JsonPropertyName("source")] public string Source { get; init; } = "encoder";          // encoder | cache | service
    [JsonPropertyName("encoder_kind")] public string EncoderKind { get; init; } = "mllm";  // mllm | clip
    [JsonPropertyName("encoder")] public string? Encoder { get; init; }
    [JsonPropertyName("tokenizer")] public string? Tokenizer { get; init; }
    [JsonPropertyName("condition_layer")] public int? ConditionLayer { get; init; }
    [JsonPropertyName("cache")] public string? Cache { get; init; }
    [JsonPropertyName("address")] public string? Address { get; init; }
    [JsonPropertyName("model")] public string Model { get; init; } = "";
    [JsonPropertyName("request_batch")] public int RequestBatch { get; init; } = 32;

    public void Validate(ConfigLocation at)
    {
        at["source"].OneOf(Source, "encoder", "cache", "service");
        at["encoder_kind"].OneOf(EncoderKind, "mllm", "clip");
        at["request_batch"].InRange(RequestBatch, 1, 4096);
        switch (Source)
        {
            case "encoder" when Encoder is null: throw at["encoder"].Error("is required when conditions.source is \"encoder\"");
            case "cache" when Cache is null: throw at["cache"].Error("is required when conditions.source is \"cache\"");
            case "service" when string.IsNullOrEmpty(Address): throw at["address"].Error("is required when conditions.source is \"service\"");
        }
        if (Address is { } a && !Uri.TryCreate(a, UriKind.Absolute, out _))
            throw at["address"].Error($"must be an absolute URI such as http://127.0.0.1:5000, got \"{a}\"");
    }

    public ConditionSettings Resolve(ConfigLocation at, string baseDir) => this with
    {
        Encoder = TrainingConfig.FullPath(at["encoder"], baseDir, Encoder),
        Tokenizer = TrainingConfig.FullPath(at["tokenizer"], baseDir, Tokenizer),
        Cache = TrainingConfig.FullPath(at["cache"], baseDir, Cache),
    };
}
