using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>Maps vision features [B, S, Dv] to LLM input embeddings [B, N, D]: the MLLM's bridge.</summary>
public interface IVisualAdapter
{
    /// <summary>How many LLM tokens one image becomes, given <paramref name="visionTokens"/> features.</summary>
    int TokensPerImage(int visionTokens);
    Tensor forward(Tensor visionFeatures);
}

/// <summary>
/// MiniGPT-4's bridge: learned <c>query_tokens</c> [1, Q, Dq] cross-attend to the image through the Q-Former, then
/// <c>language_projection</c> maps Dq to the LLM width. Names as in transformers' Blip2Model
/// (<c>query_tokens</c>, <c>qformer.*</c>, <c>language_projection.*</c>).
/// </summary>
public sealed class QFormerAdapter : nn.Module, IVisualAdapter
{
    public readonly Parameter query_tokens;
    public readonly Blip2QFormerModel qformer;
    public readonly Linear language_projection;

    public QFormerAdapter(QFormerConfig config, int numQueryTokens, int llmWidth) : base(nameof(QFormerAdapter))
    {
        query_tokens = Layers.Parameter([1, numQueryTokens, config.HiddenSize]);
        qformer = new Blip2QFormerModel(config);
        language_projection = Layers.Linear(config.HiddenSize, llmWidth);
        RegisterComponents();
    }

    public int TokensPerImage(int visionTokens) => (int)query_tokens.shape[1];

    public Tensor forward(Tensor visionFeatures)
    {
        using var scope = torch.NewDisposeScope();
        var queries = query_tokens.expand(visionFeatures.shape[0], -1, -1);   // [B, Q, Dq]
        using var q = qformer.forward(queries, visionFeatures);
        return language_projection.forward(q.LastHiddenState).MoveToOuterDisposeScope(); // [B, Q, D]
    }
}

/// <summary>LLaVA-1.5's projector: linear_1, GELU, linear_2 (transformers' <c>LlavaMultiModalProjector</c>).</summary>
public sealed class MultiModalProjector : nn.Module<Tensor, Tensor>
{
    private readonly Func<Tensor, Tensor> _act;
    public readonly Linear linear_1, linear_2;

    public MultiModalProjector(int visionWidth, int llmWidth, string act) : base(nameof(MultiModalProjector))
    {
        _act = Activations.Get(act);
        linear_1 = Layers.Linear(visionWidth, llmWidth);
        linear_2 = Layers.Linear(llmWidth, llmWidth);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return linear_2.forward(_act(linear_1.forward(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>The MLP bridge with LLaVA's key names: <c>multi_modal_projector.linear_1/linear_2</c>; one LLM token per vision token.</summary>
public sealed class MlpAdapter : nn.Module, IVisualAdapter
{
    public readonly MultiModalProjector multi_modal_projector;

    public MlpAdapter(int visionWidth, int llmWidth, string act = "gelu") : base(nameof(MlpAdapter))
    {
        multi_modal_projector = new MultiModalProjector(visionWidth, llmWidth, act);
        RegisterComponents();
    }

    public int TokensPerImage(int visionTokens) => visionTokens;

    public Tensor forward(Tensor visionFeatures) => multi_modal_projector.forward(visionFeatures);
}
