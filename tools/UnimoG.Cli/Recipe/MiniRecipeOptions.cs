namespace UnimoG.Cli.Recipe;

/// <summary>
/// Settings of <c>unimog recipe mini</c>. The U-Net defaults are those of the shipped model: ~2.8 h of U-Net training on
/// the 2-core machine (measured, docs/mini-model.md#times); <see cref="UNetStepsScale"/> multiplies every U-Net step
/// count for longer runs within the recipe's 6 h budget.
/// </summary>
public sealed record MiniRecipeOptions
{
    /// <summary>The work folder: data/, emoji/, runs/, cache/, models/, recipe/ (the layout of the pre-training artifacts).</summary>
    public required string Work { get; init; }
    /// <summary>Where the full model is exported (models/unimog-mini).</summary>
    public required string Out { get; init; }
    /// <summary>The committed tokenizer (reused, not retrained).</summary>
    public required string Tokenizer { get; init; }
    /// <summary>The art installer (scripts/fetch-emoji-art.sh); null: the art must be there already.</summary>
    public string? ArtInstaller { get; init; }

    public int Threads { get; init; } = 2;
    public long Seed { get; init; } = 0;

    // EmojiWorld composition (the lead's pre-training used these).
    public int TrainScenes { get; init; } = 20000;
    public int BenchScenes { get; init; } = 2000;
    public int AllScenes { get; init; } = 20000;

    // Frozen parts: the verbs' defaults unless set (tests shrink them).
    public long? VaeSteps { get; init; }
    public long? MllmSteps { get; init; }
    public long? EvaluatorSteps { get; init; }
    public int? MaxScenes { get; init; }

    /// <summary>The U-Net (diffusers config JSON); null: <see cref="MiniRecipe.UNetJson"/>.</summary>
    public string? UNetConfigJson { get; init; }
    public long Stage1Steps { get; init; } = 14400;
    public long Stage2Steps { get; init; } = 1600;
    public double UNetStepsScale { get; init; } = 1.0;
    public int Batch { get; init; } = 32;
    public double Stage1LearningRate { get; init; } = 5e-4;
    public double Stage2LearningRate { get; init; } = 1e-4;
    /// <summary>The visual-enhanced loss weight of stage 2 (the ablation uses 0).</summary>
    public double Lambda { get; init; } = 0.05;
    /// <summary>Stage 2 and the w/o VisualEnh ablation at the same time, one thread each.</summary>
    public bool ParallelStage2 { get; init; } = true;
    /// <summary>Data preparation: probability that an entity becomes its image; share of text-only samples.</summary>
    public double ReplaceRate { get; init; } = 0.7;
    public double TextOnlyShare { get; init; } = 0.1;
    public double CheckpointMinutes { get; init; } = 5;
    /// <summary>Sample-grid and EmojiBench sampling steps.</summary>
    public int SampleSteps { get; init; } = 30;
    public int EncodeBatch { get; init; } = 32;
    /// <summary>EmojiBench: DDIM steps and prompts per subset (50: the shipped model's table; null: the benchmark's default 10).</summary>
    public int BenchSteps { get; init; } = 30;
    public int? BenchLimit { get; init; } = 50;
    /// <summary>The repository (bundled example images for the sample grids).</summary>
    public string Repo { get; init; } = ".";

    public long Steps1 => Math.Max(1, (long)Math.Round(Stage1Steps * UNetStepsScale));
    public long Steps2 => Math.Max(1, (long)Math.Round(Stage2Steps * UNetStepsScale));
    /// <summary>
    /// Scenes stage 1 reads (each gives an English and a Chinese sample) and prepared samples stage 2 reads: the caches
    /// encode these, so they are fixed rather than tied to the steps (a longer run makes more passes, or raise them).
    /// </summary>
    public int Stage1ScenesSetting { get; init; } = 20000;
    public int Stage2SamplesSetting { get; init; } = 19200;
    public int Stage1Scenes => Math.Min(TrainScenes, Stage1ScenesSetting);
    public int Stage2Samples => Math.Min(TrainScenes, Stage2SamplesSetting);
}
