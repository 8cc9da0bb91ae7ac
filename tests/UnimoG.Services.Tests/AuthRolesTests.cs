using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>Auth on every role (issue 16, item 14): a backend on its own port is closed when keys are configured.</summary>
public sealed class AuthRolesTests
{
    [Fact]
    public async Task Every_role_with_API_keys_refuses_calls_without_one_and_the_gateway_sends_its_own()
    {
        const string key = "internal-key-for-tests";
        var sha = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        await using var cluster = await Cluster.StartAsync(commonSettings: new Dictionary<string, string?>
        {
            ["Auth:ApiKeys:gateway:Sha256"] = sha,
            ["Services:encoder:ApiKey"] = key,
            ["Services:denoiser:ApiKey"] = key,
            ["Services:vae:ApiKey"] = key,
        });

        var encoder = new V1.Encoder.EncoderClient(cluster.Channel(cluster.EncoderAddress));
        using (var open = encoder.Encode(new EncodeRequest { Prompt = new Prompt { Text = "a cat" } }))
        {
            var e = await Assert.ThrowsAsync<RpcException>(() => open.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        }
        var denoiser = new V1.Denoiser.DenoiserClient(cluster.Channel(cluster.DenoiserAddress));
        Assert.Equal(StatusCode.Unauthenticated,
            (await Assert.ThrowsAsync<RpcException>(() => denoiser.DescribeAsync(new DescribeRequest()).ResponseAsync)).StatusCode);

        // The gateway (which got ready through the denoiser's Describe with its key) serves a caller with the key.
        var gateway = new V1.Gateway.GatewayClient(cluster.Channel(cluster.GatewayAddress));
        using var call = gateway.Generate(GenerationTests.Request(steps: 2), new Metadata { { "x-api-key", key } });
        var images = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
            images += call.ResponseStream.Current.EventCase == GenerateEvent.EventOneofCase.Image ? 1 : 0;
        Assert.Equal(1, images);
    }
}
