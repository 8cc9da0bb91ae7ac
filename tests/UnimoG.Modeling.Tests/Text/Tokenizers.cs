using System.Text.Json;
using UnimoG.Text.Tokenizers;
using UnimoG.TestSupport;

namespace UnimoG.Modeling.Tests.Text;

/// <summary>The real tokenizer files, loaded once for all tests.</summary>
internal static class Tokenizers
{
    public static string ClipGz => Path.Combine(RepoPaths.Shared, "tokenizers", "clip", "bpe_simple_vocab_16e6.txt.gz");
    public static string LlamaModel => Path.Combine(RepoPaths.Shared, "tokenizers", "llama2", "tokenizer.model");

    private static readonly Lazy<ClipTokenizer> LazyClip = new(() => ClipTokenizer.FromBpeGz(ClipGz));
    private static readonly Lazy<LlamaSentencePieceTokenizer> LazyLlama = new(() => LlamaSentencePieceTokenizer.FromFile(LlamaModel));
    private static readonly Lazy<LlamaSentencePieceTokenizer> LazyLlamaNonLegacy = new(() => LlamaSentencePieceTokenizer.FromFile(LlamaModel, legacy: false));

    public static ClipTokenizer Clip => LazyClip.Value;
    public static LlamaSentencePieceTokenizer Llama => LazyLlama.Value;
    public static LlamaSentencePieceTokenizer LlamaNonLegacy => LazyLlamaNonLegacy.Value;
}
