using FaceMatch.Vault.Tenants;
using FaceMatch.Vault.Tokens;
using Grpc.Core;

namespace FaceMatch.Server.Security;

/// <summary>Who a call is, resolved once from its bearer token by <see cref="BearerAuthInterceptor"/>.</summary>
public abstract record CallIdentity
{
    private static readonly object Key = typeof(CallIdentity);

    /// <summary>The identity the auth interceptor attached to this call.</summary>
    /// <exception cref="InvalidOperationException">the call did not pass the auth interceptor (a wiring bug).</exception>
    public static CallIdentity Of(ServerCallContext context) =>
        context.UserState.TryGetValue(Key, out var identity) && identity is CallIdentity found
            ? found
            : throw new InvalidOperationException($"{context.Method} ran without an authenticated identity");

    internal void AttachTo(ServerCallContext context) => context.UserState[Key] = this;
}

/// <summary>The operator, holding the admin token: may call Admin, never FaceMatch.</summary>
public sealed record AdminIdentity : CallIdentity
{
    public static AdminIdentity Instance { get; } = new();
}

/// <summary>A customer's app, holding one of its tenant's tokens: may call FaceMatch, never Admin.</summary>
/// <param name="Grant">the vault's proof of the token: tenant and mode as stored, never as claimed.</param>
/// <param name="Tenant">the tenant and its policy as of the call's start.</param>
public sealed record TenantIdentity(TokenGrant Grant, Tenant Tenant) : CallIdentity
{
    public string TenantId => Grant.TenantId;
    public TokenMode Mode => Grant.Mode;
    public Policy Policy => Tenant.Policy;

    /// <summary>The tenant's match threshold, or <paramref name="serverDefault"/> where its policy leaves it at 0.</summary>
    public float MatchThreshold(float serverDefault) => Policy.MatchThreshold > 0 ? Policy.MatchThreshold : serverDefault;
}
