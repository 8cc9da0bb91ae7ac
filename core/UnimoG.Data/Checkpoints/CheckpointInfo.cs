namespace UnimoG.Data.Checkpoints;

/// <summary>A checkpoint folder and whether it survived intact (<see cref="Problem"/> says what is wrong if not).</summary>
public sealed record CheckpointInfo(string Path, long Step, bool Valid, string? Problem, DateTimeOffset? CreatedUtc);
