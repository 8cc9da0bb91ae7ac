using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace UnimoG.Architecture.Tests;

/// <summary>
/// The size and naming norms of CONTRIBUTING.md over every non-test source file, parsed with Roslyn: no file over
/// 300 lines, no method over 80, and a file is named after a type it declares (partial files add a suffix:
/// <c>Trainer.Step.cs</c>) unless it is a group file of three or more small types of one concept, named after the
/// concept (<c>UNetBlocks.cs</c>: the ladder of U-Net blocks).
/// </summary>
public class CodeRulesTests
{
    private const int MaxFileLines = 300;
    private const int MaxMethodLines = 80;
    private const int GroupFile = 3;

    private static readonly Lazy<List<(string Path, SyntaxNode Root, int Lines)>> Sources = new(() =>
        Repository.ProductionSources().Select(p =>
        {
            var text = File.ReadAllText(p);
            return (p, CSharpSyntaxTree.ParseText(text, path: p).GetRoot(), text.Split('\n').Length - (text.EndsWith('\n') ? 1 : 0));
        }).ToList());

    [Fact]
    public void No_file_is_over_300_lines()
    {
        var large = Sources.Value.Where(s => s.Lines > MaxFileLines).Select(s => $"{Repository.Relative(s.Path)} ({s.Lines})").ToList();
        Assert.True(Sources.Value.Count > 200, $"only {Sources.Value.Count} sources found");
        Assert.True(large.Count == 0, $"files over {MaxFileLines} lines: {string.Join(", ", large)}");
    }

    [Fact]
    public void No_method_is_over_80_lines()
    {
        var long_ = new List<string>();
        foreach (var (path, root, _) in Sources.Value)
            foreach (var member in root.DescendantNodes().Where(n => n is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax))
            {
                var span = member.GetLocation().GetLineSpan();
                var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
                if (lines > MaxMethodLines) long_.Add($"{Repository.Relative(path)}:{span.StartLinePosition.Line + 1} {Name(member)} ({lines} lines)");
            }
        Assert.True(long_.Count == 0, $"methods over {MaxMethodLines} lines: {string.Join("; ", long_)}");
    }

    [Fact]
    public void Files_are_named_after_a_type_they_declare()
    {
        var wrong = new List<string>();
        foreach (var (path, root, _) in Sources.Value)
        {
            var file = Path.GetFileNameWithoutExtension(path).Split('.')[0];
            var types = root.DescendantNodes().Where(n => n.Parent is BaseNamespaceDeclarationSyntax or CompilationUnitSyntax)
                .Select(n => n switch
                {
                    BaseTypeDeclarationSyntax t => t.Identifier.Text,
                    DelegateDeclarationSyntax d => d.Identifier.Text,
                    _ => null,
                })
                .OfType<string>()
                .ToList();
            if (types.Count == 0 && file == "Program") continue;
            if (types.Count >= GroupFile) continue;
            if (!types.Contains(file)) wrong.Add($"{Repository.Relative(path)} declares {(types.Count == 0 ? "no type" : string.Join(", ", types))}");
        }
        Assert.True(wrong.Count == 0, $"files not named after a type they declare: {string.Join("; ", wrong)}");
    }

    private static string Name(SyntaxNode n) => n switch
    {
        MethodDeclarationSyntax m => m.Identifier.Text,
        ConstructorDeclarationSyntax c => c.Identifier.Text + " (constructor)",
        LocalFunctionStatementSyntax l => l.Identifier.Text + " (local function)",
        AccessorDeclarationSyntax a => a.Keyword.Text + " accessor",
        OperatorDeclarationSyntax o => "operator " + o.OperatorToken.Text,
        _ => n.Kind().ToString(),
    };
}
