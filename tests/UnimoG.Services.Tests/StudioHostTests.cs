using System.Net;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using UnimoG.Cli;
using UnimoG.Contracts.V1;
using UnimoG.Services.Tests.Support;
using UnimoG.Studio;
using V1 = UnimoG.Contracts.V1;

namespace UnimoG.Services.Tests;

/// <summary>
/// A gateway host (as <c>unimog serve --role gateway</c> builds it, over the cluster's backends) whose studio serves a
/// folder of its own: the page's files with their content types, 404s, and gRPC-Web through the same interceptors.
/// </summary>
[Collection("cluster")]
public sealed class StudioHostTests(ClusterFixture fixture)
{
    private const string Key = "studio-test-key";

    private Cluster Cluster => fixture.Cluster;

    private async Task<(WebApplication App, string Studio)> StartGateway(string pageFolder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Log:MinimumLevel"] = "Warning", ["Studio:Url"] = "http://127.0.0.1:0",
            ["Auth:ApiKeys:page:Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key))),
        };
        var app = ServeCommand.Build("gateway", $"http://127.0.0.1:{Cluster.FreePort()}", Cluster.FreePort(), TestModel.Folder,
            Cluster.EncoderAddress, Cluster.DenoiserAddress, Cluster.VaeAddress, settings,
            b => b.Services.AddSingleton(new StudioFiles(new PhysicalFileProvider(pageFolder))));
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<StudioEndpoint>().Url);
    }

    private static string PageFolder()
    {
        var dir = Directory.CreateTempSubdirectory("unimog-studio-page").FullName;
        File.WriteAllText(Path.Combine(dir, "index.html"), "<!doctype html><title>studio</title>");
        File.WriteAllText(Path.Combine(dir, "app.js"), "console.log('studio');");
        Directory.CreateDirectory(Path.Combine(dir, "assets"));
        File.WriteAllText(Path.Combine(dir, "assets", "style.css"), "body { margin: 0 }");
        return dir;
    }

    [Fact]
    public async Task The_page_is_served_with_content_types_and_anything_else_is_404()
    {
        var (app, studio) = await StartGateway(PageFolder());
        await using var _ = app;
        using var http = new HttpClient { BaseAddress = new Uri(studio) };

        using var index = await http.GetAsync("/");
        Assert.Equal((HttpStatusCode.OK, "text/html"), (index.StatusCode, index.Content.Headers.ContentType?.MediaType));
        Assert.True(index.Headers.CacheControl?.NoCache, "index.html must be revalidated (Cache-Control: no-cache)");
        Assert.Equal("<!doctype html><title>studio</title>", await index.Content.ReadAsStringAsync());
        using var script = await http.GetAsync("/app.js");
        Assert.Equal((HttpStatusCode.OK, "text/javascript"), (script.StatusCode, script.Content.Headers.ContentType?.MediaType));
        using var style = await http.GetAsync("/assets/style.css");
        Assert.Equal((HttpStatusCode.OK, "text/css"), (style.StatusCode, style.Content.Headers.ContentType?.MediaType));

        foreach (var missing in new[] { "/missing.js", "/assets/", "/metrics", "/healthz", "/unimog.v1.Gateway/Describe" })
        {
            using var response = await http.GetAsync(missing);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{missing}: {response.StatusCode}");
        }
        await app.StopAsync();
    }

    [Fact]
    public async Task GrpcWeb_calls_pass_auth_and_request_ids_and_PutImage_takes_an_image_over_the_message_limit()
    {
        var (app, studio) = await StartGateway(PageFolder());
        await using var _ = app;
        var web = new V1.Gateway.GatewayClient(Cluster.WebChannel(studio));
        var denied = await Assert.ThrowsAsync<RpcException>(() => web.DescribeAsync(new DescribeRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, denied.StatusCode);

        var key = new Metadata { { "x-api-key", Key }, { "x-request-id", "studio-call-1" } };
        using (var describe = web.DescribeAsync(new DescribeRequest(), key))
        {
            Assert.False(string.IsNullOrEmpty((await describe).Model));
            Assert.Equal("studio-call-1", (await describe.ResponseHeadersAsync).GetValue("x-request-id"));
        }

        // Over Hosting:MaxReceiveMessageBytes (8 MiB), within Generation:MaxImageBytes (20 MiB): the gateway's limit fits it.
        var png = TestModel.NoisePng(1800, 1700);
        Assert.True(png.Length > 8 << 20, $"{png.Length} bytes");
        var stored = await web.PutImageAsync(new PutImageRequest { Data = UnsafeByteOperations.UnsafeWrap(png) }, key);
        Assert.Equal((1800, 1700, Convert.ToHexStringLower(SHA256.HashData(png))), (stored.Width, stored.Height, stored.Sha256));
        await app.StopAsync();
    }
}
