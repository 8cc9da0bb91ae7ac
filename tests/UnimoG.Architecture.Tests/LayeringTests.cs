namespace UnimoG.Architecture.Tests;

/// <summary>
/// The layers of docs/architecture.md, read from every .csproj: core &lt; contract &lt; clients &lt; engines &lt; hosts &lt; tools
/// (tests may reference anything). A project references only lower layers, or the named lower projects of its own
/// layer; TorchSharp is referenced where tensors are the point, and nowhere a relay or a contract-only client sits.
/// </summary>
public class LayeringTests
{
    /// <summary>Within a layer, who may reference whom (everything else within a layer is refused).</summary>
    private static readonly Dictionary<string, string[]> SameLayer = new(StringComparer.Ordinal)
    {
        ["UnimoG.Text"] = ["UnimoG.Imaging"],
        ["UnimoG.Modeling"] = ["UnimoG.Imaging", "UnimoG.Text", "UnimoG.Data"],
        ["UnimoG.Client.Torch"] = ["UnimoG.Client"],
        ["UnimoG.Client.Example"] = ["UnimoG.Client"],
        ["UnimoG.Engines.Gateway"] = ["UnimoG.Engines"],
        ["UnimoG.Engines.DataPrep"] = ["UnimoG.Engines"],
        ["UnimoG.Engines.Inference"] = ["UnimoG.Engines"],
        ["UnimoG.Engines.Trainer"] = ["UnimoG.Engines"],
        ["UnimoG.Engines.InProcess"] = ["UnimoG.Engines.Inference", "UnimoG.Engines.Gateway"],
        ["UnimoG.Encoder"] = ["UnimoG.Hosting"],
        ["UnimoG.Denoiser"] = ["UnimoG.Hosting"],
        ["UnimoG.Vae"] = ["UnimoG.Hosting"],
        // The gateway maps its service with gRPC-Web on the studio's endpoint; the studio knows no service of its own.
        ["UnimoG.Gateway"] = ["UnimoG.Hosting", "UnimoG.Studio"],
        ["UnimoG.Studio"] = ["UnimoG.Hosting"],
        ["UnimoG.DataPrep"] = ["UnimoG.Hosting"],
        ["UnimoG.Trainer"] = ["UnimoG.Hosting"],
        ["UnimoG.Mini"] = ["UnimoG.EmojiWorld"],
        ["UnimoG.Cli"] = ["UnimoG.Mini", "UnimoG.EmojiWorld"],
    };

    /// <summary>The only projects that may reference TorchSharp's packages directly.</summary>
    private static readonly string[] Torch = ["UnimoG.Modeling", "UnimoG.Client.Torch"];

    public static TheoryData<string> Production() => [.. Repository.Projects.Where(p => p.Layer != "tests").Select(p => p.Name)];

    [Fact]
    public void Every_project_lives_in_a_layer_folder()
    {
        var stray = Repository.Projects.Where(p => p.Layer != "tests" && !Repository.Layers.Contains(p.Layer)).Select(p => p.ToString()).ToList();
        Assert.True(stray.Count == 0, $"projects outside core/ contract/ clients/ engines/ hosts/ tools/ tests/: {string.Join(", ", stray)}");
        Assert.True(Repository.Projects.Count > 20, $"only {Repository.Projects.Count} projects found under {Repository.Root}");
    }

    [Theory]
    [MemberData(nameof(Production))]
    public void References_point_down(string name)
    {
        var project = Repository.Project(name);
        var rank = Array.IndexOf(Repository.Layers, project.Layer);
        foreach (var reference in project.References)
        {
            var target = Repository.Project(reference);
            var targetRank = Array.IndexOf(Repository.Layers, target.Layer);
            var allowed = targetRank < rank && targetRank >= 0
                || (targetRank == rank && SameLayer.TryGetValue(name, out var peers) && peers.Contains(reference));
            Assert.True(allowed, $"{project} ({project.Layer}) references {target} ({target.Layer}): references must point to a lower layer (docs/architecture.md)");
        }
    }

    [Theory]
    [MemberData(nameof(Production))]
    public void TorchSharp_is_referenced_only_by_the_model_code_and_the_torch_adapters(string name)
    {
        var project = Repository.Project(name);
        var torch = project.Packages.Where(p => p.StartsWith("TorchSharp", StringComparison.Ordinal)).ToList();
        Assert.True(torch.Count == 0 || Torch.Contains(name), $"{project} references {string.Join(", ", torch)}: only {string.Join(" and ", Torch)} may");
    }

    [Theory]
    [InlineData("UnimoG.Contracts")]
    [InlineData("UnimoG.Client")]
    [InlineData("UnimoG.Client.Example")]
    [InlineData("UnimoG.Engines")]
    [InlineData("UnimoG.Engines.Gateway")]
    [InlineData("UnimoG.Engines.DataPrep")]
    [InlineData("UnimoG.Gateway")]
    [InlineData("UnimoG.DataPrep")]
    [InlineData("UnimoG.Hosting")]
    [InlineData("UnimoG.Text")]
    [InlineData("UnimoG.Data")]
    public void Relays_contracts_and_clients_carry_no_libtorch(string name)
    {
        var closure = Repository.Closure(name).Append(name).ToList();
        var withTorch = closure.Where(p => Repository.Project(p).Packages.Any(k => k.StartsWith("TorchSharp", StringComparison.Ordinal))).ToList();
        Assert.True(withTorch.Count == 0, $"{name} depends on {string.Join(", ", withTorch)}, which reference TorchSharp");
    }

    /// <summary>The production projects below the hosts (core, contract, clients, engines).</summary>
    public static TheoryData<string> BelowHosts() =>
        [.. Repository.Projects.Where(p => p.Layer is not ("tests" or "hosts" or "tools")).Select(p => p.Name)];

    [Theory]
    [MemberData(nameof(BelowHosts))]
    public void Only_hosts_and_tools_use_ASP_NET(string name)
    {
        var project = Repository.Project(name);
        var text = File.ReadAllText(Path.Combine(Repository.Root, project.Folder, project.Name + ".csproj"));
        Assert.False(project.Sdk.Contains("Web", StringComparison.Ordinal) || text.Contains("Microsoft.AspNetCore.App", StringComparison.Ordinal),
            $"{project} is in {project.Layer}/ but uses ASP.NET Core: engines, clients, the contract and core are plain libraries");
    }

    [Fact]
    public void Service_hosts_reference_no_other_service_host()
    {
        string[] hosts = ["UnimoG.Encoder", "UnimoG.Denoiser", "UnimoG.Vae", "UnimoG.Gateway", "UnimoG.DataPrep", "UnimoG.Trainer"];
        foreach (var h in hosts)
        {
            var others = Repository.Closure(h).Intersect(hosts).ToList();
            Assert.True(others.Count == 0, $"{h} depends on the host(s) {string.Join(", ", others)}");
        }
    }
}
