using Microsoft.Extensions.Configuration;
using System.Security.Cryptography;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using UnimoG.Hosting.Interceptors;
using UnimoG.Hosting.Options;

namespace UnimoG.Hosting.Security;

/// <summary>Opt-in caller authentication and per-caller limits (the gateway): <c>b.AddUnimoGAuth()</c>.</summary>
public static class UnimoGAuth
{
    public const string Scheme = "UnimoG";
    public const string CallerClaim = "unimog.caller";

    /// <summary>
    /// Every gRPC call except <c>Auth:AnonymousMethods</c> must carry an API key or a valid JWT bearer token,
    /// checked before the service method runs (<c>Unauthenticated</c> otherwise), and is subject to the caller's
    /// limits (<c>ResourceExhausted</c> with a retry hint). Call after AddUnimoGDefaults.
    /// </summary>
    public static WebApplicationBuilder AddUnimoGAuth(this WebApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(FailedAuthThrottle)))
            return builder;   // AddUnimoGDefaults added it already (an Auth section is configured)
        if (!builder.Services.HasDefaults())
            throw new InvalidOperationException("Call AddUnimoGDefaults before AddUnimoGAuth: auth must run after the request-id and metrics interceptors.");
        var auth = UnimoGOptions.Bind<AuthOptions>(builder.Services, builder.Configuration, AuthOptions.Section);
        var authentication = builder.Services.AddAuthentication(Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(Scheme, "API key or JWT", o => o.ForwardDefaultSelector = c => SelectScheme(c, auth.Jwt.Configured));
        if (auth.Jwt.Configured)
            authentication.AddJwtBearer(o =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Jwt.Issuer,
                    ValidAudience = auth.Jwt.Audience,
                    IssuerSigningKeys = SigningKeys(auth.Jwt),
                    ClockSkew = auth.Jwt.ClockSkew,
                    RequireExpirationTime = true,
                };
            });
        builder.Services.AddSingleton<CallRateLimiter>();
        builder.Services.AddSingleton<FailedAuthThrottle>();
        builder.Services.Configure<GrpcServiceOptions>(o => o.Interceptors.Add<AuthInterceptor>());
        return builder;
    }

    /// <summary>
    /// Auth on whenever an <c>Auth</c> section is configured, on every role (AddUnimoGDefaults calls this): a service
    /// reachable on its own port is then as closed as the gateway. Without the section, calls are open (local runs).
    /// </summary>
    public static bool AddUnimoGAuthIfConfigured(this WebApplicationBuilder builder)
    {
        if (!builder.Configuration.GetSection(AuthOptions.Section).Exists()) return false;
        builder.AddUnimoGAuth();
        return true;
    }

    // Without JWT keys no bearer handler is registered: the API-key handler refuses the scheme by name (not a 500).
    private static string SelectScheme(HttpContext context, bool jwt) =>
        jwt && context.Request.Headers.Authorization.FirstOrDefault()?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true
            ? JwtBearerDefaults.AuthenticationScheme
            : ApiKeyAuthenticationHandler.SchemeName;

    private static List<SecurityKey> SigningKeys(JwtOptions jwt)
    {
        var keys = new List<SecurityKey>();
        keys.AddRange(jwt.SigningKeys.Select(k => new SymmetricSecurityKey(Convert.FromBase64String(k))));
        foreach (var pem in jwt.RsaPublicKeys)
        {
            var rsa = RSA.Create(); // kept alive by the key for the life of the host
            rsa.ImportFromPem(pem.Contains("-----BEGIN", StringComparison.Ordinal) ? pem : File.ReadAllText(pem));
            keys.Add(new RsaSecurityKey(rsa));
        }
        return keys;
    }
}

/// <summary>Authenticates, then rate-limits, before the service method runs; rejected calls do no work.</summary>
internal sealed class AuthInterceptor(IOptions<AuthOptions> options, CallRateLimiter limiter, FailedAuthThrottle failures) : ServerCallInterceptor
{
    protected override async Task<T> AroundAsync<T>(ServerCallContext context, Func<Task<T>> next)
    {
        if (options.Value.AnonymousMethods.Any(p => context.Method.StartsWith(p, StringComparison.Ordinal)))
            return await next();
        var http = context.GetHttpContext();
        var peer = http.Connection.RemoteIpAddress?.ToString() ?? context.Peer;
        failures.ThrowIfBlocked(peer);
        var result = await http.AuthenticateAsync(UnimoGAuth.Scheme);
        if (!result.Succeeded)
        {
            if (result.Failure is not null) failures.Record(peer);   // no credentials at all is not a guess
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.Unauthenticated, Explain(result)));
        }
        http.User = result.Principal;
        var subject = (result.Principal.FindFirst("sub") ?? result.Principal.FindFirst("client_id"))?.Value;
        var caller = result.Principal.FindFirst(UnimoGAuth.CallerClaim)?.Value ?? (subject is null ? null : $"sub:{subject}");
        if (caller is null)
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.Unauthenticated, "The bearer token names no subject ('sub' or 'client_id')."));
        using var lease = limiter.Acquire(caller);
        return await next();
    }

    private static string Explain(AuthenticateResult result) => result.Failure switch
    {
        null => "Credentials are required: an API key (x-api-key or 'authorization: ApiKey ...') or a bearer token.",
        SecurityTokenExpiredException => "The bearer token has expired.",
        SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => "The bearer token's signature is not valid for any configured key.",
        SecurityTokenInvalidAudienceException => "The bearer token is for another audience.",
        SecurityTokenInvalidIssuerException => "The bearer token is from an unknown issuer.",
        var e => e.Message,
    };
}
