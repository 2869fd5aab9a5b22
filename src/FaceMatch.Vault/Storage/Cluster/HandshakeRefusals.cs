using System.Net.Security;
using StackExchange.Redis;

namespace FaceMatch.Vault.Storage.Cluster;

/// <summary>
/// Why connection attempts to the store failed at TLS, in words, so a store that cannot be opened says "the
/// certificate does not carry the expected name" rather than only "no node is reachable". Never holds an address.
/// </summary>
internal sealed class HandshakeRefusals
{
    private string? _last;

    public void Record(object? sender, ConnectionAttemptCompletedEventArgs attempt)
    {
        if (attempt.IsSuccess || attempt.Stage != ConnectionAttemptStage.Tls) return;
        var errors = attempt.ServerCertificatePolicyErrors ?? SslPolicyErrors.None;
        var reason = attempt.ServerCertificateAccepted == false
            ? (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0
                ? "a store node's TLS certificate does not carry the name the client checks (the TLS name, or else the address dialled)"
                : "a store node's TLS certificate was not issued by the configured CA"
            : "the TLS handshake with a store node failed";
        Volatile.Write(ref _last, reason);
    }

    /// <summary>The latest refusal, or null when no attempt failed at TLS.</summary>
    public string? Last => Volatile.Read(ref _last);
}
