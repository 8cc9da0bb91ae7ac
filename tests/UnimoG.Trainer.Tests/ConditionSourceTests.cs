using System.Text.Json.Nodes;
using UnimoG.TestSupport;
using UnimoG.Engines.Trainer.Conditions;
using UnimoG.Engines.Trainer.Config;
using UnimoG.Engines.Trainer.Data;
using UnimoG.Trainer.Tests.Support;
using UnimoG.Engines.Trainer.Training;

namespace UnimoG.Trainer.Tests;

/// <summary>The three condition sources agree: in-process encoder, the Encoder service over gRPC, the encode-dataset cache.</summary>
[Collection("torch threads")]
public class ConditionSourceTests
{
    private static readonly TinyWorld World = TinyWorld.Instance;

    private static List<ConditionRequest> Requests()
    {
        var examples = Datasets.Load(new DataSettings { Kind = "prepared", Path = World.Stage2Data }).Take(3).ToList();
        return [.. examples.Select(e => ConditionRequest.For(e, false)), ConditionRequest.For(examples[0], true)];
    }

    [Fact]
    public async Task The_encoder_service_over_loopback_gives_the_in_process_conditions()
    {
        using var encoder = TinyWorld.NewEncoder();
        await using var server = await LoopbackEncoder.StartAsync(encoder);
        using var local = new MllmConditions(encoder, ownsEncoder: false);
        using var remote = EncoderServiceConditions.ForAddress(server.Address, requestBatch: 2);
        Assert.Equal(24, remote.Width);
        var requests = Requests();
        var calls = server.Calls;
        using var got = remote.Encode(requests);
        Assert.Equal(calls + 2, server.Calls);   // 4 prompts in EncodeMany calls of 2
        Assert.Equal(requests.Count, got.BatchSize);
        for (var i = 0; i < requests.Count; i++)
        {
            // each row as the encoder gives it alone, padding masked
            using var alone = local.Encode([requests[i]]);
            var length = (int)alone.Length;
            TensorAssert.Identical(alone.HiddenStates[0], got.HiddenStates[i, ..length], $"row {i}");
            Assert.Equal(length, got.AttentionMask![i].sum().item<long>());
            Assert.Equal(alone.Spans[0], got.Spans[i]);
        }
        Assert.Equal(2, got.Spans[0].Count);
        Assert.Empty(got.Spans[3]);               // the plain caption has no images
        using var u1 = remote.Unconditional();
        using var u2 = local.Unconditional();
        TensorAssert.Identical(u2.HiddenStates, u1.HiddenStates, "unconditional");

        // and a run trains on it
        var dir = TinyWorld.TempDir("service");
        var json = JsonNode.Parse(World.Config(dir, stage: 2, steps: 2))!.AsObject();
        json["conditions"] = new JsonObject { ["source"] = "service", ["address"] = server.Address, ["request_batch"] = 8 };
        var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
        using (trainer) Assert.Equal(RunState.Completed, trainer.Run(resume: false).State);
    }

    [Fact]
    public void The_encode_dataset_cache_gives_the_encoder_conditions_and_the_VAE_posteriors()
    {
        var dir = TinyWorld.TempDir("cache");
        var json = JsonNode.Parse(World.Config(dir, stage: 2, steps: 2))!.AsObject();
        json["samples"] = new JsonObject { ["every"] = 0, ["prompts"] = new JsonArray("a red square") };
        var config = TinyWorld.Parse(json.ToJsonString());
        var result = DatasetEncoding.Run(config, Path.Combine(dir, "conditions"), Path.Combine(dir, "latents"), 5, new ListLogger());
        Assert.Equal(12 * 2 + 1 + 1, result.Prompts);   // multimodal + caption per sample, the empty prompt, one sample prompt
        Assert.Equal(12, result.Latents);

        using var encoder = TinyWorld.NewEncoder();
        using var local = new MllmConditions(encoder, ownsEncoder: false);
        using var cached = new CachedConditions(Path.Combine(dir, "conditions"));
        foreach (var r in Requests())
        {
            using var a = local.Encode([r]);
            using var b = cached.Encode([r]);
            TensorAssert.Close(a.HiddenStates, b.HiddenStates, 1e-5, 1e-5, r.Key);
            Assert.Equal(a.Spans[0], b.Spans[0]);
        }
        using (var u1 = cached.Unconditional())
        using (var u2 = local.Unconditional())
            TensorAssert.Identical(u2.HiddenStates, u1.HiddenStates, "unconditional");

        // latents from the cache are the VAE's, drawn with the same generator
        using var vae = UnimoG.Modeling.Diffusion.AutoencoderKL.FromPretrained(World.Vae);
        var examples = Datasets.Load(config.Phases[0].Data).Take(4).ToList();
        var bucket = new Bucket(0, 1.0, 16, 16);
        using var fromVae = new LatentSource(vae, null).Sample(examples, bucket, new TorchSharp.torch.Generator(4));
        using var fromCache = new LatentSource(null, Path.Combine(dir, "latents")).Sample(examples, bucket, new TorchSharp.torch.Generator(4));
        TensorAssert.Close(fromVae, fromCache, 1e-6, 1e-6, "latents");

        // and training runs on the caches alone (no encoder, no VAE)
        json["conditions"] = new JsonObject { ["source"] = "cache", ["cache"] = Path.Combine(dir, "conditions") };
        json["latent_cache"] = Path.Combine(dir, "latents");
        json["model"]!.AsObject().Remove("vae");
        json["output_dir"] = Path.Combine(dir, "run");
        var (trainer, _) = TinyWorld.Trainer(json.ToJsonString());
        using (trainer) Assert.Equal(RunState.Completed, trainer.Run(resume: false).State);
    }
}
