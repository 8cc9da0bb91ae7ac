using TorchSharp;
using static TorchSharp.torch;

namespace UnimoG.Modeling.Encoders;

/// <summary>Greedy decoding options; null token ids fall back to the model config, as transformers' generate.</summary>
public sealed record GreedyOptions
{
    public int MaxNewTokens { get; init; } = 32;
    public int[]? EosTokenIds { get; init; }
    public int? PadTokenId { get; init; }
}

/// <summary>
/// Greedy generation with a KV cache, step for step as transformers 4.37's <c>greedy_search</c>: position ids from the
/// attention mask's cumulative sum (left padding works), finished rows continue with the pad token, stop when
/// every row has produced an end token or after <c>MaxNewTokens</c>.
/// </summary>
public static class LlamaGeneration
{
    /// <param name="inputIds">[B, L] prompt ids (left-padded for a batch)</param>
    /// <param name="attentionMask">[B, L]; null: inferred as transformers does (pad tokens masked when pad != eos)</param>
    /// <returns>[B, L + n] int64 on the model's device: the prompt followed by the n &lt;= MaxNewTokens generated tokens</returns>
    public static Tensor Generate(this LlamaForCausalLM lm, Tensor inputIds, Tensor? attentionMask = null, GreedyOptions? options = null)
    {
        options ??= new GreedyOptions();
        var (eos, pad) = Tokens(lm.Config, options);
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var weight = lm.model.embed_tokens.weight!;
        var ids = inputIds.to(ScalarType.Int64, weight.device);
        var mask = attentionMask?.to(ScalarType.Int64, weight.device) ?? DefaultMask(ids, eos, pad);
        var generated = Run(lm, ids, null, mask, options.MaxNewTokens, eos, pad);
        return torch.cat([ids, generated], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Generation that starts from embeddings (e.g. an image spliced into a prompt, as MiniGPT-4 captions);
    /// returns only the new tokens [B, n], as transformers 4.37 does for <c>inputs_embeds</c>.
    /// </summary>
    public static Tensor GenerateFromEmbeds(this LlamaForCausalLM lm, Tensor inputsEmbeds, Tensor? attentionMask = null, GreedyOptions? options = null)
    {
        options ??= new GreedyOptions();
        var (eos, pad) = Tokens(lm.Config, options);
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var device = lm.model.embed_tokens.weight!.device;
        var mask = attentionMask?.to(ScalarType.Int64, device) ?? torch.ones(inputsEmbeds.shape[0], inputsEmbeds.shape[1], ScalarType.Int64, device);
        return Run(lm, null, inputsEmbeds, mask, options.MaxNewTokens, eos, pad).MoveToOuterDisposeScope();
    }

    private static (long[] Eos, long Pad) Tokens(LlamaConfig config, GreedyOptions options)
    {
        var eos = (options.EosTokenIds ?? config.EosTokenIds).Select(i => (long)i).ToArray();
        // transformers sets pad_token_id to the first eos when none is given
        var pad = options.PadTokenId ?? config.PadTokenId ?? (eos.Length > 0 ? eos[0] : 0);
        return (eos, pad);
    }

    private static Tensor DefaultMask(Tensor ids, long[] eos, long pad)
    {
        var padInInputs = (ids == pad).any().item<bool>();
        return padInInputs && !eos.Contains(pad) ? ids.ne(pad).to_type(ScalarType.Int64) : torch.ones_like(ids);
    }

    private static Tensor Run(LlamaForCausalLM lm, Tensor? ids, Tensor? embeds, Tensor mask, int maxNewTokens, long[] eos, long pad)
    {
        // mask is on the model's device already; every tensor made here goes there too (ids stay int64).
        var batch = (ids ?? embeds!).shape[0];
        var device = mask.device;
        using var cache = new LlamaKvCache(lm.Config.NumHiddenLayers);
        var unfinished = torch.ones(batch, ScalarType.Int64, device);
        var tokens = new List<Tensor>();
        using var eosIds = torch.tensor(eos.Length > 0 ? eos : [-1L], device: device);
        Tensor? next = null;
        for (var step = 0; step < maxNewTokens; step++)
        {
            using var stepScope = torch.NewDisposeScope();
            // position ids = cumsum(mask) - 1, padding positions set to 1; only the new positions are fed.
            var positions = (mask.cumsum(-1) - 1).masked_fill(mask.eq(0), 1);
            var newLength = step == 0 ? (ids ?? embeds!).shape[1] : 1;
            positions = positions[.., ^(int)newLength..];
            using var output = step == 0
                ? lm.model.forward(inputIds: ids, inputsEmbeds: embeds, attentionMask: mask, positionIds: positions, cache: cache)
                : lm.model.forward(inputIds: next!.unsqueeze(1), attentionMask: mask, positionIds: positions, cache: cache);
            var logits = lm.Logits(output.LastHiddenState[.., -1, ..]).to_type(ScalarType.Float32); // [B, V], float32 as transformers' next_token_logits.float()
            var chosen = logits.argmax(-1);
            chosen = chosen * unfinished + pad * (1 - unfinished);
            var isEos = torch.isin(chosen, eosIds).to_type(ScalarType.Int64);
            var stillGoing = unfinished * (1 - isEos);
            var grown = torch.cat([mask, torch.ones(batch, 1, ScalarType.Int64, device)], 1);
            next = chosen.MoveToOuterDisposeScope();
            tokens.Add(next);
            unfinished.Dispose();
            unfinished = stillGoing.MoveToOuterDisposeScope();
            mask = grown.MoveToOuterDisposeScope();
            if (eos.Length > 0 && unfinished.max().item<long>() == 0) break;
        }
        return tokens.Count == 0 ? torch.empty(batch, 0, ScalarType.Int64, device) : torch.stack(tokens, 1);
    }
}
