using System.CommandLine;

namespace UnimoG.Cli;

/// <summary><c>unimog component clip-text</c>: input_ids [, attention_mask] -> last_hidden_state, pooler_output, hidden_states.*</summary>
internal static class ComponentClipText
{
    public static Command Create() => ComponentEncoderOptions.Build("clip-text", "clip-text",
        "CLIPTextModel: input_ids, optional attention_mask -> last_hidden_state, pooler_output, hidden_states.0..N");
}
