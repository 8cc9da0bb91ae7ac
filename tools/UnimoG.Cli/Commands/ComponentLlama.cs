using System.CommandLine;

namespace UnimoG.Cli;

/// <summary><c>unimog component llama</c>: input_ids or inputs_embeds [, attention_mask, position_ids] -> last_hidden_state, hidden_states.*</summary>
internal static class ComponentLlama
{
    public static Command Create() => ComponentEncoderOptions.Build("llama", "llama",
        "LlamaModel: input_ids or inputs_embeds, optional attention_mask (and position_ids) -> last_hidden_state, hidden_states.0..N");
}
