using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using UnimoG.Hosting.Options;

namespace UnimoG.Hosting.Security;

/// <summary>Loads the PEM files named by <see cref="TlsOptions"/> and checks peers against the private CA.</summary>
public sealed class TlsCertificates
{
    private static readonly string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private static readonly string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    public TlsCertificates(TlsOptions options)
    {
        Certificate = X509Certificate2.CreateFromPemFile(options.CertificatePath!, options.KeyPath!);
        Ca = X509CertificateLoader.LoadCertificateFromFile(options.CaPath!);
    }

    public X509Certificate2 Certificate { get; }

    public X509Certificate2 Ca { get; }

    /// <summary>True when <paramref name="peer"/> chains to <see cref="Ca"/> and is allowed the given usage.</summary>
    public bool IsSignedByCa(X509Certificate2 peer, bool asClient)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new(asClient ? ClientAuthOid : ServerAuthOid));
        return chain.Build(peer);
    }

    /// <summary>Server side (every TLS endpoint of the host): our certificate, client certificates checked against the CA.</summary>
    public HttpsConnectionAdapterOptions ServerOptions(bool requireClientCertificate) => new()
    {
        ServerCertificate = Certificate,
        ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.AllowCertificate,
        ClientCertificateValidation = (cert, _, _) => IsSignedByCa(cert, asClient: true),
    };

    /// <summary>Client side: present our certificate and accept servers signed by the CA.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        ClientCertificates = [Certificate],
        // Peers are reached through resolvers (consul:///, dns:///) whose target host is not the
        // certificate's name, so trust rests on the private CA: any certificate it signed for server use.
        RemoteCertificateValidationCallback = (_, cert, _, _) =>
            cert is not null && IsSignedByCa(new X509Certificate2(cert), asClient: false),
    };
}
