namespace UnimoG.Engines;

/// <summary>
/// User input quoted in an error message, capped: a status must stay far below a client's metadata limit (8 KiB by
/// default in grpc-dotnet and grpcio), and a message quoting 20,000 characters helps nobody.
/// </summary>
public static class Echo
{
    public const int MaxChars = 100;

    /// <summary>Longest status message sent (a safety net over every message, after the quoted values are capped).</summary>
    public const int MaxMessageChars = 1000;

    /// <summary><paramref name="value"/>, or its first <see cref="MaxChars"/> characters and its length.</summary>
    public static string Of(string value) =>
        value.Length <= MaxChars ? value : $"{value[..MaxChars]}... ({value.Length} characters)";

    /// <summary>A whole status message, cut at <see cref="MaxMessageChars"/> with its length.</summary>
    public static string Message(string message) =>
        message.Length <= MaxMessageChars ? message : $"{message[..MaxMessageChars]}... (message of {message.Length} characters cut)";
}
