using System.Net;
using System.Net.Sockets;

namespace UnimoG.Cli.Tests;

/// <summary><c>unimog serve</c>: options that do not fit the role, and unset or bad settings, are one line with exit code 2.</summary>
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
}
