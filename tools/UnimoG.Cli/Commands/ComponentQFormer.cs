using System.CommandLine;

namespace UnimoG.Cli;

/// <summary><c>unimog component qformer</c>: query_embeds, encoder_hidden_states -> last_hidden_state, hidden_states.*</summary>
internal static class ComponentQFormer
{
    public static Command Create() => ComponentEncoderOptions.Build("qformer", "qformer",
        "Blip2QFormerModel: query_embeds, encoder_hidden_states -> last_hidden_state, hidden_states.0..N");
}
