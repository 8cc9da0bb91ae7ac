using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UnimoG.Hosting.Security;

/// <summary>
/// Authenticates <c>x-api-key: KEY</c> or <c>authorization: ApiKey KEY</c> against the SHA-256 hashes in
/// <c>Auth:ApiKeys</c>. The principal's caller id is <c>key:{name}</c>.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AuthOptions> auth) : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "x-api-key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers[Header].FirstOrDefault();
        var authorization = Request.Headers.Authorization.FirstOrDefault();
        if (key is null && authorization?.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase) == true)
            key = authorization[(SchemeName.Length + 1)..].Trim();
        if (string.IsNullOrEmpty(key) && !string.IsNullOrWhiteSpace(authorization))
        {
            var scheme = authorization.Trim().Split(' ', 2)[0];
            scheme = scheme.Length > 20 || scheme.Any(c => !char.IsAsciiLetterOrDigit(c)) ? "(unreadable)" : scheme;
            var hint = scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) ? " (bearer tokens need Auth:Jwt keys, which this service has not)" : "";
            return Task.FromResult(AuthenticateResult.Fail($"The authorization scheme '{scheme}' is not accepted here{hint}: send 'authorization: ApiKey KEY' or 'x-api-key: KEY'."));
        }
        if (string.IsNullOrEmpty(key)) return Task.FromResult(AuthenticateResult.NoResult());

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        foreach (var (name, entry) in auth.Value.ApiKeys)
        {
            // Fixed-time comparison of hashes: the stored value never reveals the key, timing never reveals the hash.
            if (entry.Sha256 is { } hex && CryptographicOperations.FixedTimeEquals(hash, Convert.FromHexString(hex.Trim())))
            {
                var identity = new ClaimsIdentity(
                    [new Claim(ClaimTypes.Name, name), new Claim(UnimoGAuth.CallerClaim, $"key:{name}")], SchemeName);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
            }
        }
        return Task.FromResult(AuthenticateResult.Fail("The API key is not recognised."));
    }
}
