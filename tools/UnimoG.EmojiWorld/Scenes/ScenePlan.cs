namespace UnimoG.EmojiWorld;

/// <summary>What a scene shows, as MultiBench's templates name it.</summary>
public enum Relation
{
    /// <summary>One entity alone (living or not): "a dog".</summary>
    Single,
    /// <summary>"a {living} wearing {wearing}"</summary>
    Wear,
    /// <summary>"a {living} is playing with {toy}"</summary>
    Play,
    /// <summary>"a {living} is eating {food}"</summary>
    Eat,
    /// <summary>"a {living} wearing {wearing} is playing with {toy}"</summary>
    WearPlay,
    /// <summary>"a {living} wearing {wearing} is eating {food}"</summary>
    WearEat,
}

/// <summary>An entity's part in the scene: the subject, an item worn by it, or a toy/food beside it.</summary>
public enum Role { Subject, Worn, Beside }

public sealed record PlannedEntity(Entity Entity, Role Role);

/// <summary>
/// The background: a flat colour, a two-colour linear gradient, or a scenery emoji. Colours hold the
/// jittered sRGB actually painted; <see cref="Mentioned"/> says whether the caption names the background.
/// </summary>
public sealed record BackgroundPlan(
    BackgroundKind Kind,
    NamedColour? First,
    NamedColour? Second,
    (byte R, byte G, byte B) Colour1,
    (byte R, byte G, byte B) Colour2,
    int AngleDegrees,
    Scenery? Scene,
    bool Mentioned)
{
    public string Id => Kind switch
    {
        BackgroundKind.Colour => First!.Id,
        BackgroundKind.Gradient => $"{First!.Id}+{Second!.Id}",
        _ => Scene!.Id,
    };
}

/// <summary>Everything random about a scene except the exact placement: relation, entities (caption order), background.</summary>
public sealed record ScenePlan(Relation Relation, IReadOnlyList<PlannedEntity> Entities, BackgroundPlan Background)
{
    public static string TemplateId(Relation r) => r switch
    {
        Relation.Single => "single",
        Relation.Wear => "wear",
        Relation.Play => "play",
        Relation.Eat => "eat",
        Relation.WearPlay => "wear_play",
        _ => "wear_eat",
    };
}
