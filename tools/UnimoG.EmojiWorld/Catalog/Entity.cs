namespace UnimoG.EmojiWorld;

/// <summary>MultiBench's four entity categories.</summary>
public enum Category { Living, Wearing, Toy, Food }

/// <summary>How an entity is laid out: the shape of a living sprite, or where a worn item goes.</summary>
public enum Kind
{
    /// <summary>Living: a head filling the sprite (boy, dog face); a top is drawn below it, under the chin.</summary>
    Face,
    /// <summary>Living: head and shoulders (red-haired woman, cook); a top is drawn over the shoulders.</summary>
    Bust,
    /// <summary>Living: a whole standing body (penguin, owl).</summary>
    Body,
    Hat, Glasses, Top, Neck, Bag,
    Toy, Food,
}

/// <summary>Which entities a split may use.</summary>
public enum Split
{
    /// <summary>Seen entities only: every kind of generator training (VAE, encoder, stage 1 and 2).</summary>
    Train,
    /// <summary>Held-out entities only: zero-shot benchmark scenes.</summary>
    Bench,
    /// <summary>Seen and held-out entities: only for the evaluator networks that score EmojiBench.</summary>
    All,
}

/// <summary>An axis-aligned box in pixels, [X0, X1) x [Y0, Y1).</summary>
public readonly record struct Box(float X0, float Y0, float X1, float Y1)
{
    public float Width => X1 - X0;
    public float Height => Y1 - Y0;
    public float CenterX => (X0 + X1) / 2;
    public float CenterY => (Y0 + Y1) / 2;

    public static Box FromCenter(float cx, float cy, float w, float h) => new(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);

    public Box Union(Box o) => new(MathF.Min(X0, o.X0), MathF.Min(Y0, o.Y0), MathF.Max(X1, o.X1), MathF.Max(Y1, o.Y1));

    public bool Contains(Box o, float tolerance = 0) =>
        o.X0 >= X0 - tolerance && o.Y0 >= Y0 - tolerance && o.X1 <= X1 + tolerance && o.Y1 <= Y1 + tolerance;

    /// <summary>Maps this box from a frame where <paramref name="from"/> sits to where it lands in <paramref name="to"/>.</summary>
    public Box Map(Box from, Box to)
    {
        float sx = to.Width / from.Width, sy = to.Height / from.Height;
        return new(to.X0 + (X0 - from.X0) * sx, to.Y0 + (Y0 - from.Y0) * sy, to.X0 + (X1 - from.X0) * sx, to.Y0 + (Y1 - from.Y0) * sy);
    }

    public override string ToString() => $"{X0:0.#},{Y0:0.#},{X1:0.#},{Y1:0.#}";
}

/// <summary>Where a living sprite's head, eyes and torso are, in its 64x64 sprite pixels (curated in entities.tsv).</summary>
public sealed record LivingAnchors(Box Head, float EyesY, Box? Body, IReadOnlySet<Kind> Wears);

/// <summary>How a worn item fits its wearer (curated in entities.tsv).</summary>
/// <param name="Width">Hat, glasses, neck: item width / head width. Top: item width / torso width.</param>
/// <param name="Sink">Hat: the hat's bottom edge sits this fraction of the head height below the head top.</param>
/// <param name="EyeLine">Glasses: the fraction of the item's height (from its top) that lies on the eye line.</param>
/// <param name="Height">Bag: item height / the larger of head and torso height.</param>
public sealed record WearFit(float Width, float Sink, float EyeLine, float Height);

/// <summary>One catalog row: an emoji the composer may place, with its names and layout data.</summary>
public sealed record Entity(
    string Hex,
    Category Category,
    Kind Kind,
    string NameEn,
    string ArticleEn,
    string NameZh,
    string? ClassifierZh,
    string? VerbZh,
    bool HeldOut,
    LivingAnchors? Anchors,
    WearFit? Fit)
{
    /// <summary>"a dog", "an owl", "sunglasses".</summary>
    public string PhraseEn => ArticleEn.Length == 0 ? NameEn : $"{ArticleEn} {NameEn}";

    /// <summary>"一只狗", "一副墨镜", "圣诞老人" (no classifier).</summary>
    public string PhraseZh => ClassifierZh is null ? NameZh : $"一{ClassifierZh}{NameZh}";

    public bool InSplit(Split split) => split switch
    {
        Split.Train => !HeldOut,
        Split.Bench => HeldOut,
        _ => true,
    };

    public override string ToString() => $"{NameEn} ({Hex})";
}
