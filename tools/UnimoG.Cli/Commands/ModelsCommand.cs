using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using UnimoG.Modeling;
using UnimoG.Modeling.Configs;
using UnimoG.Modeling.Encoders;
using UnimoG.Modeling.Pipelines;
using UnimoG.Text.Tokenizers;

namespace UnimoG.Cli;

/// <summary>
/// <c>unimog models info NAME|DIR</c>: a configuration's components and parameter counts. Diffusion models and
/// folders come from <see cref="ModelCatalog"/>; other families register one text describer line below.
/// </summary>
internal static class ModelsCommand
{
    private static readonly Func<string, string?>[] Describers =
    [
        MllmModelsInfo.TryDescribe,
    ];

    private static IEnumerable<string> Known => ModelCatalog.Named.Select(m => m.Name).Prepend(Mini).Concat(MllmModelsInfo.Names);

    /// <summary>The shipped model: <c>models info mini</c> describes its folder, exactly what is shipped.</summary>
    private const string Mini = "mini";

    public static Command Create()
    {
        var target = new Argument<string>("NAME|DIR") { Description = $"a named configuration ({string.Join(", ", Known)}) or a model folder" };
        var json = new Option<bool>("--json") { Description = "print JSON instead of text" };
        var dtype = new Option<string?>("--dtype") { Description = "print a memory plan per service at float32, bfloat16 or float16 instead" };
        var batch = new Option<int>("--batch") { Description = "memory plan: U-Net batch rows (2 = one image with guidance)", DefaultValueFactory = _ => 2 };
        var size = new Option<int>("--size") { Description = "memory plan: image side in pixels", DefaultValueFactory = _ => 1024 };
        var tokens = new Option<int>("--tokens") { Description = "memory plan: prompt text tokens", DefaultValueFactory = _ => 77 };
        var images = new Option<int>("--images") { Description = "memory plan: images in the prompt", DefaultValueFactory = _ => 2 };
        var info = new Command("info", "Show a model's configuration and parameter count (counted without allocating weights), or with --dtype its memory plan.")
        {
            target, json, dtype, batch, size, tokens, images,
        };
        info.SetAction(r =>
        {
            if (r.GetValue(dtype) is { } d)
            {
                if (!ModelPlacement.DTypes.TryGetValue(d, out var type)) throw new UsageException($"--dtype must be float32, bfloat16 or float16, got '{d}'");
                if (r.GetValue(batch) < 1 || r.GetValue(size) < 8 || r.GetValue(tokens) < 1 || r.GetValue(images) < 0)
                    throw new UsageException("--batch and --tokens must be at least 1, --size at least 8, --images 0 or more");
                Console.Out.Write(ModelsMemoryPlan.Describe(r.GetValue(target)!, type, new PlanShape(r.GetValue(batch), r.GetValue(size), r.GetValue(tokens), r.GetValue(images))));
                return 0;
            }
            Console.Out.Write(Info(r.GetValue(target)!, r.GetValue(json)));
            return 0;
        });
        var models = new Command("models", "Inspect model configurations; make the untrained mini model; fit preview factors.");
        models.Subcommands.Add(info);
        models.Subcommands.Add(ModelsInitPlaceholder.Create());
        models.Subcommands.Add(ModelsFitPreview.Create());
        return models;
    }

    /// <summary>A model folder's MLLM (<c>mllm/</c>) and the tokenizer it speaks, as the encoder loads them.</summary>
    private static void DescribeEncoder(StringWriter w, string dir)
    {
        var mllm = Path.Combine(dir, "mllm");
        if (!Directory.Exists(mllm)) return;
        w.WriteLine();
        w.WriteLine(MllmModelsInfo.Describe("mllm", MllmFolder.ReadArchitecture(mllm)));
        var folder = ModelFolder.Open(dir);
        var tokenizer = folder.LlamaTokenizerPath(null);
        w.WriteLine($"  tokenizer       {Path.GetRelativePath(dir, tokenizer)}: {TextTokenizers.LoadLlama(tokenizer).VocabularySize:N0} pieces");
    }

    public static string Info(string nameOrDir, bool asJson)
    {
        if (string.Equals(nameOrDir, Mini, StringComparison.OrdinalIgnoreCase))
        {
            var shipped = ModelPaths.Resolve(null);
            if (!Directory.Exists(shipped)) throw new UsageException($"mini is the shipped model folder {shipped}, which is missing");
            var described = Info(shipped, asJson);
            return asJson ? described : $"mini: the shipped UNIMO-G mini, as its folder describes it{Environment.NewLine}{described}";
        }
        if (ModelCatalog.Find(nameOrDir) is null && !asJson && Describers.Select(d => d(nameOrDir)).FirstOrDefault(t => t is not null) is { } text)
            return text + Environment.NewLine;
        if (ModelCatalog.Find(nameOrDir) is null && !Directory.Exists(nameOrDir))
            throw new UsageException($"unknown model configuration '{nameOrDir}' and no such folder; known: {string.Join(", ", Known)}");
        var model = ModelCatalog.Find(nameOrDir) ?? ModelCatalog.FromFolder(nameOrDir);
        var components = model.Components();
        if (components.Count == 0) throw new UsageException($"{nameOrDir}: no component with a known model class");
        var total = components.Sum(c => c.Parameters);
        if (asJson)
        {
            var node = new JsonObject
            {
                ["name"] = model.Name,
                ["description"] = model.Description,
                ["parameters"] = total,
                ["components"] = new JsonArray(components.Select(c => (JsonNode)new JsonObject
                {
                    ["name"] = c.Name,
                    ["class"] = c.ClassName,
                    ["parameters"] = c.Parameters,
                    ["weights"] = c.Weights,
                    ["config"] = JsonNode.Parse(c.ConfigJson),
                }).ToArray()),
            };
            return node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine;
        }
        var w = new StringWriter();
        w.WriteLine($"{model.Name}: {model.Description}");
        foreach (var c in components)
        {
            w.WriteLine();
            w.WriteLine($"{c.Name} ({c.ClassName}): {c.Parameters:N0} parameters");
            if (c.Weights is { } weights) w.WriteLine($"weights: {weights}");
            w.WriteLine(c.ConfigJson);
        }
        if (components.Count > 1)
        {
            w.WriteLine();
            w.WriteLine($"total: {total:N0} parameters");
        }
        if (Directory.Exists(nameOrDir)) DescribeEncoder(w, nameOrDir);
        return w.ToString();
    }
}
