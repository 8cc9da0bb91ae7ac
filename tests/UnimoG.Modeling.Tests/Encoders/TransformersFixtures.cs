using UnimoG.Modeling.Checkpoints;
using UnimoG.TestSupport;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>Outputs of the real transformers v4.37.2 in tests/data/transformers (see its README).</summary>
internal static class TransformersFixtures
{
    public static string Dir(string name) => Path.Combine(RepoPaths.Root, "tests", "data", "transformers", name);
    public static string File(string model, string file) => Path.Combine(Dir(model), file);

    public static Dictionary<string, Tensor> Read(string model, string file)
    {
        var f = SafetensorsFile.Open(File(model, file));
        return f.Entries.Keys.ToDictionary(k => k, k => f.Read(k));
    }
}
