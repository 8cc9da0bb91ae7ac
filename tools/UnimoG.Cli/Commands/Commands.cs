using System.CommandLine;

namespace UnimoG.Cli;

/// <summary>Every top-level verb of <c>unimog</c>, one factory per file in this folder.</summary>
internal static class Commands
{
    public static IEnumerable<Command> All() =>
    [
        ComponentCommand.Create(),
        ModelsCommand.Create(),
        PrepCommand.Create(),
        EmojiWorldCommand.Create(),
        TokenizeCommand.Create(),
        TrainCommand.Create(),
        EncodeDatasetCommand.Create(),
        BenchCommand.Create(),
        GenerateCommand.Create(),
        ServeCommand.Create(),
        MiniCommand.Create(),
        RecipeCommand.Create(),
        EvalCommand.Create(),
    ];
}
