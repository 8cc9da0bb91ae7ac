using System.Text.RegularExpressions;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Encoders;

/// <summary>
/// The encoders never create a tensor at libtorch's process-wide defaults (<c>torch.set_default_dtype/device</c> would
/// move it, and a server builds one model while another serves): every factory call in Encoders/ and Images/ names its
/// device, and every floating one its dtype. A CPU-only machine cannot run an encoder on a second device, so this reads
/// the source; the bf16 end-to-end tests catch the dtype at run time.
/// </summary>
public class EncoderTensorCreationRuleTests
{
    private static readonly Regex Factory = new(@"\btorch\.(zeros|ones|empty|full|randn|rand|arange|tensor|linspace|eye)\(", RegexOptions.Compiled);
    private static readonly HashSet<string> Floating = ["zeros", "ones", "empty", "full", "randn", "rand", "linspace", "eye"];

    [Fact]
    public void EveryFactoryCallNamesItsDeviceAndFloatingOnesTheirDtype()
    {
        var root = Path.Combine(RepoPaths.Root, "core", "UnimoG.Modeling");
        var files = Directory.GetFiles(Path.Combine(root, "Encoders"), "*.cs").Append(Path.Combine(root, "Images", "ClipImageProcessor.cs")).ToList();
        Assert.True(files.Count > 10);
        var problems = new List<string>();
        var calls = 0;
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (Match m in Factory.Matches(text))
            {
                calls++;
                var args = Arguments(text, m.Index + m.Length);
                var line = text[..m.Index].Count(c => c == '\n') + 1;
                var where = $"{Path.GetFileName(file)}:{line}: torch.{m.Groups[1].Value}({args})";
                if (!Regex.IsMatch(args, @"\bdevice\b|\.device\b|\bCPU\b")) problems.Add($"{where}: no device");
                if (Floating.Contains(m.Groups[1].Value) && !Regex.IsMatch(args, @"\bdtype\b|ScalarType\.")) problems.Add($"{where}: no dtype");
            }
        }
        Assert.True(calls > 10, $"only {calls} factory calls found: has the code moved?");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>The text between the call's parentheses (balanced).</summary>
    private static string Arguments(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return text[start..i];
        }
        return text[start..];
    }
}
