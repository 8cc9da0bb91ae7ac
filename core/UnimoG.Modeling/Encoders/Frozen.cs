using TorchSharp;

namespace UnimoG.Modeling.Encoders;

/// <summary>The encoders are frozen: eval mode (no dropout) and no parameter asks for gradients.</summary>
public static class Frozen
{
    public static T Freeze<T>(T module) where T : torch.nn.Module
    {
        module.eval();
        foreach (var p in module.parameters()) p.requires_grad = false;
        return module;
    }
}
