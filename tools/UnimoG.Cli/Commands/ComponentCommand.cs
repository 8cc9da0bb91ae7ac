using System.CommandLine;

namespace UnimoG.Cli;

/// <summary><c>unimog component ...</c>: run one model component on tensors from a safetensors file and write
/// its outputs (float32) to another, the way a port is compared with PyTorch. One file per subcommand.</summary>
internal static class ComponentCommand
{
    public static Command Create() => new("component", "Run one model component on tensors from a safetensors file (interop checks).")
    {
        ComponentUNet.Create(),
        ComponentVae.Encode(),
        ComponentVae.Decode(),
        ComponentDdimStep.Create(),
        ComponentSampler.Create(),
        ComponentClipText.Create(),
        ComponentClipVision.Create(),
        ComponentLlama.Create(),
        ComponentQFormer.Create(),
    };
}
