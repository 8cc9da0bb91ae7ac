using System.CommandLine;

namespace UnimoG.Cli;

/// <summary><c>unimog component clip-vision</c>: pixel_values -> last_hidden_state, pooler_output, hidden_states.*</summary>
internal static class ComponentClipVision
{
    public static Command Create() => ComponentEncoderOptions.Build("clip-vision", "clip-vision",
        "CLIPVisionModel: pixel_values -> last_hidden_state, pooler_output, hidden_states.0..N");
}
