namespace UnimoG.Studio.Tests.Support;

/// <summary>The same host with the gateway's API keys on: one key, <see cref="Key"/>.</summary>
public sealed class KeyedStudioHost : StudioHost
{
    public const string Key = "studio-browser-key";

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Auth:ApiKeys:browser:Sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Key))),
    };
}
