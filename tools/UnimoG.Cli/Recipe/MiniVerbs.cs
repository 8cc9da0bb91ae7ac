namespace UnimoG.Cli.Recipe;

/// <summary>
/// The pre-training verbs as the recipe calls them: the same arguments the documented commands take (docs/mini-model.md),
/// with the work folder's paths. Options left at the verbs' defaults keep a checkpoint made by the documented command
/// resumable (a run refuses other options).
/// </summary>
internal static class MiniVerbs
{
    public static string[] TrainVae(MiniRecipe r, MiniRecipeOptions o) =>
    [
        "mini", "train-vae", "--data", r.Data("emojiworld-train"), "--eval", r.Data("emojiworld-bench"), "--out", r.Run("vae"),
        "--threads", o.Threads.ToString(), "--checkpoint-minutes", o.CheckpointMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        .. Optional("--steps", o.VaeSteps), .. Optional("--max-scenes", o.MaxScenes),
    ];

    public static string[] TrainMllm(MiniRecipe r, MiniRecipeOptions o) =>
    [
        "mini", "train-mllm", "--data", r.Data("emojiworld-train"), "--eval-seen", r.Data("emojiworld-all"), "--eval-held-out", r.Data("emojiworld-bench"),
        "--tokenizer", r.W("tokenizer", "tokenizer.model"), "--art", r.Art, "--out", r.Run("mllm"),
        "--threads", o.Threads.ToString(), "--checkpoint-minutes", o.CheckpointMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        .. Optional("--steps", o.MllmSteps), .. Optional("--max-scenes", o.MaxScenes),
    ];

    public static string[] Stage(MiniRecipe r) => ["mini", "stage", "--vae", r.Run("vae"), "--mllm", r.Run("mllm"), "--out", r.Staging];

    public static string[] TrainEvaluators(MiniRecipe r, MiniRecipeOptions o) =>
    [
        "mini", "train-evaluators", "--data", r.Data("emojiworld-all"), "--tokenizer", r.W("tokenizer", "tokenizer.model"), "--art", r.Art,
        "--out", r.Run("evaluators"), "--threads", o.Threads.ToString(),
        "--checkpoint-minutes", o.CheckpointMinutes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        .. Optional("--dino-steps", o.EvaluatorSteps), .. Optional("--clip-steps", o.EvaluatorSteps), .. Optional("--classifier-steps", o.EvaluatorSteps),
        .. Optional("--max-scenes", o.MaxScenes),
    ];

    private static string[] Optional<T>(string name, T? value) where T : struct => value is { } v ? [name, v.ToString()!] : [];
}
