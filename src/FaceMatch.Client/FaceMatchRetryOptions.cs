using Grpc.Core;

namespace FaceMatch.Client;

/// <summary>
/// Retries of the calls that are safe to repeat: the unary calls whose repetition leaves the server as one call would
/// (Compare, DeleteTemplate, ExportTemplate, the health check, and Admin's SetPolicy, GetPolicy, GetUsage, ListTenants,
/// RevokeToken and DeleteTenant). A retried delete or revoke whose first attempt did reach the server may answer
/// NOT_FOUND or false: the record is gone either way. They run on grpc-dotnet's own retry policy: attempt n waits a random time
/// between 0 and min(<see cref="InitialBackoff"/> × <see cref="BackoffMultiplier"/>^(n-1), <see cref="MaxBackoff"/>),
/// a server's <c>grpc-retry-pushback-ms</c> overrides that wait, and every attempt fits in the call's one deadline.
/// Sessions, CreateTenant and IssueToken are never retried.
/// </summary>
public sealed class FaceMatchRetryOptions
{
    /// <summary>Attempts in all, the first included; 1 turns retries off. At most 10.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Upper bound of the first retry's random wait.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of any retry's random wait.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Growth of the bound from one retry to the next.</summary>
    public double BackoffMultiplier { get; init; } = 2;

    /// <summary>
    /// The statuses that are retried: UNAVAILABLE (the server could not be reached, or is stopping) by default.
    /// RESOURCE_EXHAUSTED may be added to wait out overload: the server's admission refusals carry a retry hint, and
    /// no work was done; but the same status also answers a message over the size limit, which no retry cures.
    /// </summary>
    public IReadOnlyCollection<StatusCode> RetryableStatusCodes { get; init; } = [StatusCode.Unavailable];

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">what is wrong, by name.</exception>
    public void Validate()
    {
        if (MaxAttempts is < 1 or > 10) throw new ArgumentException("Retry.MaxAttempts must be 1..10", nameof(MaxAttempts));
        if (MaxAttempts == 1) return;
        if (InitialBackoff <= TimeSpan.Zero) throw new ArgumentException("Retry.InitialBackoff must be positive", nameof(InitialBackoff));
        if (MaxBackoff < InitialBackoff) throw new ArgumentException("Retry.MaxBackoff must be at least InitialBackoff", nameof(MaxBackoff));
        if (!(BackoffMultiplier >= 1)) throw new ArgumentException("Retry.BackoffMultiplier must be at least 1", nameof(BackoffMultiplier));
        if (RetryableStatusCodes is null || RetryableStatusCodes.Count == 0)
            throw new ArgumentException("Retry.RetryableStatusCodes must name a status (or set MaxAttempts to 1)", nameof(RetryableStatusCodes));
        if (RetryableStatusCodes.Contains(StatusCode.OK))
            throw new ArgumentException("Retry.RetryableStatusCodes cannot hold OK", nameof(RetryableStatusCodes));
    }
}
