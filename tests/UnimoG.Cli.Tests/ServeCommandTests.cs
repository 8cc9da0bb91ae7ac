using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using UnimoG.Client;
using UnimoG.Studio;
using UnimoG.TestSupport;

namespace UnimoG.Cli.Tests;

/// <summary>
/// <c>unimog serve</c>: options that do not fit the role, and unset or bad settings, are one line with exit code 2; roles
/// with the gateway print the studio's URL once they listen.
/// </summary>
public class ServeCommandTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public void User_mistakes_are_one_line_and_exit_code_two()
    {
        var port = FreePort();
        var (code, _, error) = Unimog.Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}", "--model", "/models/x");
        Assert.Equal(2, code);
        Assert.Contains("--model does not apply to --role dataprep; its settings are DataPrep:*", error);

        (code, _, error) = Unimog.Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(2, code);
        Assert.Contains("DataPrep:Masks is not set: choose sam (with DataPrep:SamEncoder and DataPrep:SamDecoder), alpha or box.", error);

        (code, _, error) = Unimog.Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}", "--set", "DataPrep:Masks=alpha", "--set", "DataPrep:Threads=0");
        Assert.Equal(2, code);
        Assert.Contains("DataPrep:Threads must be at least 1, got 0.", error);

        (code, _, error) = Unimog.Run("serve", "--role", "trainer", "--urls", $"http://127.0.0.1:{port}", "--encoder", "http://127.0.0.1:1");
        Assert.Equal(2, code);
        Assert.Contains("--encoder, --denoiser and --vae are the gateway's", error);

        (code, _, error) = Unimog.Run("serve", "--role", "dataprep", "--urls", $"http://127.0.0.1:{port}", "--set", "Masks");
        Assert.Equal(2, code);
        Assert.Contains("--set takes KEY=VALUE", error);
    }

    [Fact]
    public void Bad_studio_settings_are_one_line_naming_the_key()
    {
        var port = FreePort();
        var (code, _, error) = Unimog.Run([.. Gateway(port), "--set", "Studio:Url=http://studio.example:80"]);
        Assert.Equal(2, code);
        Assert.Contains("Studio:Url must be http://IP:PORT or https://IP:PORT", error);
        (code, _, error) = Unimog.Run([.. Gateway(port), "--set", $"Studio:Url=http://127.0.0.1:{port}"]);
        Assert.Equal(2, code);
        Assert.Contains($"Studio:Url's port {port}, which is Hosting:GrpcPort: the studio needs a port of its own", error);
        (code, _, error) = Unimog.Run([.. Gateway(port), "--metrics-port", (port + 1).ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(2, code);
        Assert.Contains($"Studio:Url is not set, so the studio takes Hosting:GrpcPort + 1 = {port + 1}, which is Hosting:MetricsPort", error);
    }

    private static string[] Gateway(int port) =>
        ["serve", "--role", "gateway", "--urls", $"http://127.0.0.1:{port}", "--encoder", "http://127.0.0.1:1", "--denoiser", "http://127.0.0.1:1", "--vae", "http://127.0.0.1:1"];

    [Fact]
    public void Queue_positions_read_as_a_short_phrase()
    {
        Assert.Equal("next to start, 1 running", GenerateCommand.Waiting(new GenerationEvent.Queued(0, 1)));
        Assert.Equal("1 request ahead, 2 running", GenerateCommand.Waiting(new GenerationEvent.Queued(1, 2)));
        Assert.Equal("3 requests ahead, 1 running", GenerateCommand.Waiting(new GenerationEvent.Queued(3, 1)));
    }

    /// <summary>The README's command in a process of its own: one line names the studio's URL (the gRPC port + 1), which serves.</summary>
    [Fact]
    public async Task Serve_all_prints_the_studio_URL_once_it_listens()
    {
        var port = FreePort();
        for (var tries = 0; tries < 20 && !IsFree(port + 1); tries++) port = FreePort();
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var start = new ProcessStartInfo(host, [Path.Combine(AppContext.BaseDirectory, "unimog.dll"), "serve", "--role", "all", "--urls", $"http://127.0.0.1:{port}"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = RepoPaths.Root,
        };
        var output = new StringBuilder();
        using var listening = new ManualResetEventSlim();
        using var child = Process.Start(start)!;
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.Contains("studio:", StringComparison.Ordinal)) listening.Set();
        };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            Assert.True(listening.Wait(TimeSpan.FromMinutes(3)), $"no studio line: {output}");
            var url = $"http://127.0.0.1:{port + 1}/";
            using var http = new HttpClient();
            using var page = await http.GetAsync(url);
            var embedded = StudioFiles.Embedded().Files.GetFileInfo("index.html").Exists;
            Assert.Equal(embedded ? HttpStatusCode.OK : HttpStatusCode.NotFound, page.StatusCode);
            using (var kill = Process.Start("kill", ["-TERM", child.Id.ToString(CultureInfo.InvariantCulture)])!) kill.WaitForExit();
            Assert.True(child.WaitForExit(TimeSpan.FromMinutes(1)), $"still running after SIGTERM: {output}");
            child.WaitForExit();
            var lines = output.ToString().Split('\n').Where(l => l.Contains("studio:", StringComparison.Ordinal)).ToList();
            Assert.Equal([$"studio: {url} (browser UI; gRPC-Web on the same port)"], lines.Select(l => l.TrimEnd('\r')));
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
