using UnimoG.Data.Config;

namespace UnimoG.Hosting.Security;

/// <summary>
/// Section <c>Auth</c> (gateway): API keys stored as SHA-256 hex (<c>printf %s "$KEY" | sha256sum</c>), JWT
/// validation keys, and per-caller limits.
/// </summary>
public sealed class AuthOptions : IValidatedOptions
{
    public const string Section = "Auth";

    /// <summary>By key name: <c>Auth:ApiKeys:alice:Sha256=&lt;64 hex&gt;</c>, optional per-key limits.</summary>
    public Dictionary<string, ApiKeyOptions> ApiKeys { get; set; } = new(StringComparer.Ordinal);

    public JwtOptions Jwt { get; set; } = new();

    /// <summary>Limits for JWT subjects and for keys without their own.</summary>
    public CallLimits Limits { get; set; } = new();

    /// <summary>Failed authentications (wrong key, bad token) a peer address may make per minute before its calls are
    /// refused with ResourceExhausted until the minute is over: guessing keys costs time.</summary>
    public int MaxFailuresPerMinute { get; set; } = 20;

    /// <summary>Method prefixes callable without credentials (health for probes and Consul checks).</summary>
    public List<string> AnonymousMethods { get; set; } = ["/grpc.health.v1.Health/"];

    public IEnumerable<string> Validate(string section)
    {
        if (ApiKeys.Count == 0 && !Jwt.Configured)
            yield return $"{section}: no API keys ({section}:ApiKeys:<name>:Sha256) and no JWT keys ({section}:Jwt:SigningKeys or {section}:Jwt:RsaPublicKeys) are configured, so every call would be refused.";
        foreach (var (name, key) in ApiKeys)
        {
            var hex = key.Sha256?.Trim() ?? "";
            if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
                yield return $"{section}:ApiKeys:{name}:Sha256 must be the 64-hex-digit SHA-256 of the key, got {hex.Length} characters.";
            if (key.Limits is { } l)
                foreach (var e in l.Validate($"{section}:ApiKeys:{name}:Limits")) yield return e;
        }
        if (MaxFailuresPerMinute < 1) yield return $"{section}:MaxFailuresPerMinute must be at least 1, got {MaxFailuresPerMinute}.";
        foreach (var e in Jwt.Validate($"{section}:Jwt")) yield return e;
        foreach (var e in Limits.Validate($"{section}:Limits")) yield return e;
    }
}

public sealed class ApiKeyOptions
{
    public string? Sha256 { get; set; }

    public CallLimits? Limits { get; set; }
}

public sealed class JwtOptions
{
    public string? Issuer { get; set; }

    public string? Audience { get; set; }

    /// <summary>HMAC (HS256/384/512) secrets, base64, at least 32 bytes each.</summary>
    public List<string> SigningKeys { get; set; } = [];

    /// <summary>RSA public keys (RS*/PS*): PEM text, or the path of a PEM file.</summary>
    public List<string> RsaPublicKeys { get; set; } = [];

    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public bool Configured => SigningKeys.Count > 0 || RsaPublicKeys.Count > 0;

    public IEnumerable<string> Validate(string section)
    {
        if (!Configured) yield break;
        if (string.IsNullOrWhiteSpace(Issuer)) yield return $"{section}:Issuer is required when JWT keys are configured.";
        if (string.IsNullOrWhiteSpace(Audience)) yield return $"{section}:Audience is required when JWT keys are configured.";
        // A JSON null in the list binds as a null entry: refused like any other bad key.
        for (var i = 0; i < SigningKeys.Count; i++)
        {
            var key = SigningKeys[i] ?? "";
            if (!Convert.TryFromBase64String(key, new byte[key.Length], out var n) || n < 32)
                yield return $"{section}:SigningKeys:{i} must be base64 of at least 32 bytes.";
        }
        for (var i = 0; i < RsaPublicKeys.Count; i++)
            if (RsaPublicKeys[i] is not { Length: > 0 } pem || (!pem.Contains("-----BEGIN", StringComparison.Ordinal) && !File.Exists(pem)))
                yield return $"{section}:RsaPublicKeys:{i} is neither PEM text nor an existing file: '{RsaPublicKeys[i]}'.";
    }
}

/// <summary>Per-caller limits: a token bucket (rate, burst) and a cap on concurrent calls.</summary>
public sealed class CallLimits
{
    public int RequestsPerMinute { get; set; } = 120;

    public int Burst { get; set; } = 20;

    public int MaxConcurrentCalls { get; set; } = 4;

    /// <summary>The retry hint sent when the concurrency cap (which has no natural hint) refuses a call.</summary>
    public TimeSpan ConcurrencyRetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<string> Validate(string section)
    {
        if (RequestsPerMinute < 1) yield return $"{section}:RequestsPerMinute must be at least 1, got {RequestsPerMinute}.";
        if (Burst < 1) yield return $"{section}:Burst must be at least 1, got {Burst}.";
        if (MaxConcurrentCalls < 1) yield return $"{section}:MaxConcurrentCalls must be at least 1, got {MaxConcurrentCalls}.";
    }
}
