using System.Collections;
using FaceMatch.Server.Hosting;

namespace FaceMatch.Server.Admission;

/// <summary>
/// How much work the server takes at once before it sheds the rest (<see cref="AnalysisGate"/>,
/// <see cref="SessionAdmission"/>). Frame analysis scales with the cores, so its defaults do too; the session caps
/// bound how many streams wait on the server at once, whatever their pace.
/// </summary>
public sealed record AdmissionOptions
{
    public const string MaxSessionsVariable = "FACEMATCH_MAX_SESSIONS";
    public const string MaxTenantSessionsVariable = "FACEMATCH_MAX_TENANT_SESSIONS";
    public const string MaxConcurrentFramesVariable = "FACEMATCH_MAX_CONCURRENT_FRAMES";
    public const string MaxQueuedFramesVariable = "FACEMATCH_MAX_QUEUED_FRAMES";
    public const string CongestedFramesVariable = "FACEMATCH_CONGESTED_FRAMES";

    /// <summary>Sessions running at once, server-wide.</summary>
    public int MaxSessions { get; init; } = 256;
    /// <summary>Sessions running at once for one tenant.</summary>
    public int MaxSessionsPerTenant { get; init; } = 64;
    /// <summary>Frames in analysis at once: one per core, each analysis already overlaps its own stages.</summary>
    public int MaxConcurrentFrames { get; init; } = Environment.ProcessorCount;
    /// <summary>Frames waiting for analysis beyond which a frame is refused.</summary>
    public int MaxQueuedFrames { get; init; } = 4 * Environment.ProcessorCount;
    /// <summary>Frames waiting at which new sessions and Compare calls are refused (the running ones go on).</summary>
    public int CongestedQueuedFrames { get; init; } = 2 * Environment.ProcessorCount;

    public static AdmissionOptions FromVariables(IDictionary variables)
    {
        var d = new AdmissionOptions();
        var o = new AdmissionOptions
        {
            MaxSessions = SettingValue.Int(variables, MaxSessionsVariable, d.MaxSessions, 1, 1_000_000),
            MaxSessionsPerTenant = SettingValue.Int(variables, MaxTenantSessionsVariable, d.MaxSessionsPerTenant, 1, 1_000_000),
            MaxConcurrentFrames = SettingValue.Int(variables, MaxConcurrentFramesVariable, d.MaxConcurrentFrames, 1, 4096),
            MaxQueuedFrames = SettingValue.Int(variables, MaxQueuedFramesVariable, d.MaxQueuedFrames, 0, 1_000_000),
            CongestedQueuedFrames = SettingValue.Int(variables, CongestedFramesVariable, d.CongestedQueuedFrames, 1, 1_000_000),
        };
        o.Validate();
        return o;
    }

    public void Validate()
    {
        if (MaxSessions < 1) throw new ArgumentException($"{MaxSessionsVariable}={MaxSessions}: must be at least 1");
        if (MaxSessionsPerTenant < 1 || MaxSessionsPerTenant > MaxSessions)
            throw new ArgumentException($"{MaxTenantSessionsVariable}={MaxSessionsPerTenant}: must be 1..{MaxSessionsVariable} ({MaxSessions})");
        if (MaxConcurrentFrames < 1) throw new ArgumentException($"{MaxConcurrentFramesVariable}={MaxConcurrentFrames}: must be at least 1");
        if (MaxQueuedFrames < 0) throw new ArgumentException($"{MaxQueuedFramesVariable}={MaxQueuedFrames}: must be at least 0");
        if (CongestedQueuedFrames < 1)
            throw new ArgumentException($"{CongestedFramesVariable}={CongestedQueuedFrames}: must be at least 1");
        if (MaxQueuedFrames > 0 && CongestedQueuedFrames > MaxQueuedFrames)
            throw new ArgumentException($"{CongestedFramesVariable}={CongestedQueuedFrames}: must be at most {MaxQueuedFramesVariable} ({MaxQueuedFrames})");
    }
}
