using System.Text.Json;
using System.Text.RegularExpressions;
using UnimoG.Hosting.Tests.Support;
using UnimoG.TestSupport;

namespace UnimoG.Hosting.Tests;

/// <summary>
/// The deployment files cannot run here (no Docker engine, Kubernetes or helm), so these tests run the
/// checks that can: infra/check-deploy.sh, and proofs that its chart and compose checkers do catch mistakes.
/// </summary>
public sealed class DeploymentFilesTests : IDisposable
{
    private static readonly string Root = RepoPaths.Root;
    private readonly string temp = Directory.CreateTempSubdirectory("unimog-deploy-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [RequiresToolFact("docker-compose", "yamllint", "python3-yaml")]
    public async Task Check_deploy_passes_on_the_repository()
    {
        var (code, stdout, stderr) = await Run.Async("bash", [Path.Combine(Root, "infra", "check-deploy.sh")]);
        Assert.True(code == 0, $"check-deploy.sh exited {code}\n{stdout}\n{stderr}");
        Assert.Contains("check-deploy: all checks passed", stdout);
        Assert.Contains("4 Deployment, 4 HorizontalPodAutoscaler, 4 PodDisruptionBudget", stdout);
        Assert.Contains("2 Job", stdout);
        Assert.Contains("1 MPIJob", stdout);
    }

    [RequiresToolFact("python3-yaml")]
    public async Task Chart_check_fails_on_an_MPIJob_whose_ranks_do_not_match_its_GPUs_or_that_lacks_the_checkpoints()
    {
        var chart = CopyChart();
        Edit(chart, "templates/mpijob-trainer.yaml", "- {{ mul .workers .gpu | quote }}", "- {{ .workers | quote }}");
        Edit(chart, "templates/mpijob-trainer.yaml", "                - name: checkpoints\n                  mountPath: /checkpoints\n", "");
        var (code, _, stderr) = await ChartCheck(chart, "--set", "jobs.trainerMpi.enabled=true");
        Assert.Equal(1, code);
        Assert.Contains("MPIJob unimog-trainer-mpi: mpirun -np 2 but workers x slotsPerWorker = 16", stderr);
        Assert.Contains("MPIJob unimog-trainer-mpi: the workers do not mount the checkpoints volume", stderr);
    }

    [RequiresToolFact("python3-yaml")]
    public async Task Chart_check_fails_on_a_value_that_values_yaml_does_not_have()
    {
        var chart = CopyChart();
        Edit(chart, "templates/deployments.yaml", "periodSeconds: 5", "periodSeconds: {{ $svc.probePeriod }}");
        var (code, _, stderr) = await ChartCheck(chart);
        Assert.Equal(1, code);
        Assert.Contains("Values.services.denoiser.probePeriod is not in values.yaml", stderr);
    }

    [RequiresToolFact("python3-yaml")]
    public async Task Chart_check_fails_on_unbalanced_template_delimiters()
    {
        var chart = CopyChart();
        Edit(chart, "templates/pdb.yaml", "{{ $svc.pdb.minAvailable }}", "{{ $svc.pdb.minAvailable }");
        var (code, _, stderr) = await ChartCheck(chart);
        Assert.Equal(1, code);
        Assert.Contains("pdb.yaml", stderr);
    }

    [RequiresToolFact("python3-yaml")]
    public async Task Chart_check_fails_on_inconsistent_objects()
    {
        var chart = CopyChart();
        Edit(chart, "templates/deployments.yaml", "              port: {{ $.Values.ports.grpc }}\n            periodSeconds: 5",
            "              port: 5001\n            periodSeconds: 5");
        Edit(chart, "templates/services.yaml", "(dict \"root\" $ \"name\" $name) | nindent 4 }}\n  ports:\n    - name: grpc\n      port: {{ $.Values.ports.grpc }}\n      targetPort: grpc\n{{- with",
            "(dict \"root\" $ \"name\" \"nobody\") | nindent 4 }}\n  ports:\n    - name: grpc\n      port: {{ $.Values.ports.grpc }}\n      targetPort: grpc\n{{- with");
        Edit(chart, "templates/configmap.yaml", "data:", "data:\n  Log__ConsoleFormat: text");
        var (code, _, stderr) = await ChartCheck(chart);
        Assert.Equal(1, code);
        Assert.Contains("readinessProbe port 5001 is not a container port", stderr);
        Assert.Contains("unimog-encoder: no headless Service selects it", stderr);
        Assert.Contains("Service unimog-encoder-headless selects 0 Deployments, expected 1", stderr);
        Assert.Contains("duplicate key 'Log__ConsoleFormat'", stderr);
    }

    [RequiresToolFact("python3-yaml")]
    public async Task Chart_check_fails_on_bad_values()
    {
        var chart = CopyChart();
        var (code, _, stderr) = await ChartCheck(chart, "--set", "services.encoder.autoscaling.metric=memory");
        Assert.Equal(1, code);
        Assert.Contains("services.encoder.autoscaling.metric must be queue or cpu, got memory", stderr);

        (code, _, stderr) = await ChartCheck(chart, "--set", "services.vae.tolerations=[]");
        Assert.Equal(1, code);
        Assert.Contains("unimog-vae: asks for nvidia.com/gpu but has no GPU toleration", stderr);

        (code, _, stderr) = await ChartCheck(chart, "--set", "config.Shutdown__Timeout=00:02:00");
        Assert.Equal(1, code);
        Assert.Contains("terminationGracePeriodSeconds must exceed the drain budget (130 s)", stderr);
    }

    [RequiresToolFact("python3-yaml")]
    public async Task Chart_check_fails_on_jobs_without_the_settings_their_services_need()
    {
        var chart = CopyChart();
        Edit(chart, "templates/job-dataprep.yaml", "            - name: DataPrep__Masks\n", "            - name: DataPrep__MaskMode\n");
        Edit(chart, "templates/job-trainer.yaml", "            - name: Trainer__ConfigPath\n", "            - name: Trainer__Config\n");
        var (code, _, stderr) = await ChartCheck(chart, "--set", "jobs.dataprep.enabled=true", "--set", "jobs.trainer.enabled=true");
        Assert.Equal(1, code);
        Assert.Contains("Job unimog-dataprep: container dataprep has no DataPrep__Masks", stderr);
        Assert.Contains("Job unimog-trainer: container trainer has no Trainer__ConfigPath", stderr);
    }

    [RequiresToolFact("python3-yaml")]
    public async Task Compose_check_fails_on_a_missing_GPU_reservation_profile_or_project()
    {
        string Service(string name, string project, string extra = "") => $$"""
              {{name}}:
                build: {context: "{{Root}}", dockerfile: hosts/Dockerfile, args: {SERVICE: {{project}} } }
                environment: {Consul__Address: "http://consul:8500", Seq__ServerUrl: "http://seq:5341"}
            {{extra}}

            """;
        const string gpu = "    deploy: {resources: {reservations: {devices: [{driver: nvidia, count: 1, capabilities: [gpu]}]}}}";
        var config = "services:\n  consul: {image: consul}\n  seq: {image: seq}\n"
                     + Service("encoder", "Encoder") // no GPU reservation
                     + Service("denoiser", "Denoiser", gpu) + Service("vae", "Vae", gpu)
                     + Service("gateway", "Gatway") // a misspelt project: its image would not build
                     + Service("dataprep", "DataPrep") // no profile
                     + Service("trainer", "Trainer", gpu + "\n    profiles: [trainer]");
        var (code, _, stderr) = await Run.Async(RequiresToolFactAttribute.Python,
            [Path.Combine(Root, "infra", "compose_check.py"), Root], stdin: config);
        Assert.Equal(1, code);
        Assert.Contains("encoder: GPU reservation is False, expected True", stderr);
        Assert.Contains("dataprep: profiles [], expected [dataprep]", stderr);
        Assert.Contains("dataprep: environment has no DataPrep__Masks", stderr); // the service would refuse to start
        Assert.Contains("gateway: build argument SERVICE is Gatway, expected Gateway", stderr);
        Assert.DoesNotContain("denoiser:", stderr);
    }

    /// <summary>The Dockerfile's HEALTHCHECK command, run with bash against a live service's metrics port.</summary>
    [RequiresToolFact("bash")]
    public async Task Dockerfile_healthcheck_follows_the_services_readiness()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(Root, "hosts", "Dockerfile"));
        var json = Regex.Match(dockerfile, @"HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])\s*$", RegexOptions.Multiline).Groups[1].Value;
        var command = JsonSerializer.Deserialize<string[]>(json)!;
        Assert.Equal("bash", command[0]);

        await using var service = await TestService.StartAsync("gateway");
        var env = new Dictionary<string, string> { ["Hosting__MetricsPort"] = service.MetricsPort.ToString() };
        Assert.Equal(0, (await Run.Async(command[0], command[1..], env: env)).ExitCode);
        service.Get<Readiness>().Require("model");
        Assert.NotEqual(0, (await Run.Async(command[0], command[1..], env: env)).ExitCode);
    }

    /// <summary>
    /// The one Dockerfile's ENTRYPOINT, run with bash and a stand-in <c>dotnet</c> on PATH that prints its arguments:
    /// it must start the project SERVICE named, with the container's arguments passed through unsplit.
    /// </summary>
    [RequiresToolFact("bash")]
    public async Task Dockerfile_entrypoint_runs_the_service_it_was_built_for()
    {
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(Root, "hosts", "Dockerfile"));
        var command = JsonSerializer.Deserialize<string[]>(Regex.Match(dockerfile, @"^ENTRYPOINT (\[.*\])\s*$", RegexOptions.Multiline).Groups[1].Value)!;
        var bin = Directory.CreateDirectory(Path.Combine(temp, "bin")).FullName;
        var fake = Path.Combine(bin, "dotnet");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string>
        {
            ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["UNIMOG_SERVICE"] = "DataPrep",
        };
        var (code, stdout, _) = await Run.Async(command[0], [.. command[1..], "--urls", "http://a b"], env: env);
        Assert.Equal(0, code);
        Assert.Equal("[UnimoG.DataPrep.dll]\n[--urls]\n[http://a b]\n", stdout);
    }

    private string CopyChart()
    {
        var source = Path.Combine(Root, "helm", "unimog");
        var target = Path.Combine(temp, "unimog");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }
        return target;
    }

    private static void Edit(string chart, string file, string from, string to)
    {
        var path = Path.Combine(chart, file);
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> ChartCheck(string chart, params string[] args) =>
        Run.Async(RequiresToolFactAttribute.Python, [Path.Combine(Root, "infra", "chart_check.py"), chart, .. args]);
}
