using System.Collections;
using FaceMatch.Server.Hosting;

namespace FaceMatch.Server.Sessions;

/// <summary>
/// Per-session limits and end conditions. Defaults fit a phone SDK streaming a few seconds of camera frames:
/// a session sends a handful of frames (the SDK picks its best), each a compressed phone photo.
/// </summary>
public sealed record SessionOptions
{
    public const string MaxFramesVariable = "FACEMATCH_SESSION_MAX_FRAMES";
    public const string MaxFrameBytesVariable = "FACEMATCH_SESSION_MAX_FRAME_BYTES";
    public const string MaxSessionBytesVariable = "FACEMATCH_SESSION_MAX_BYTES";
    public const string MaxSecondsVariable = "FACEMATCH_SESSION_MAX_SECONDS";
    public const string GoodFramesVariable = "FACEMATCH_SESSION_GOOD_FRAMES";
    public const string MinGoodFramesVariable = "FACEMATCH_SESSION_MIN_GOOD_FRAMES";
    public const string MinQualityVariable = "FACEMATCH_SESSION_MIN_QUALITY";
    public const string LivenessFramesVariable = "FACEMATCH_SESSION_LIVENESS_FRAMES";

    /// <summary>Most frames in one session; one more is RESOURCE_EXHAUSTED.</summary>
    public int MaxFrames { get; init; } = 30;
    /// <summary>Largest encoded frame.</summary>
    public int MaxFrameBytes { get; init; } = 3 * 1024 * 1024;
    /// <summary>Encoded bytes over the whole session.</summary>
    public long MaxSessionBytes { get; init; } = 48L * 1024 * 1024;
    /// <summary>Wall time from the start message; later the session ends DEADLINE_EXCEEDED.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Good frames (one face, quality at least <see cref="MinQuality"/>) after which the server ends the session itself.</summary>
    public int GoodFramesToFinish { get; init; } = 5;
    /// <summary>Good frames an enrolment needs at the least.</summary>
    public int MinGoodFrames { get; init; } = 1;
    public float MinQuality { get; init; } = 0.3f;
    /// <summary>Frames with a face the liveness decision needs under REQUIRED (one frame shows no motion).</summary>
    public int MinFramesForLiveness { get; init; } = 3;

    /// <summary>The defaults with the variables that are set over them; each bad value names its variable.</summary>
    public static SessionOptions FromVariables(IDictionary variables)
    {
        var d = new SessionOptions();
        var o = new SessionOptions
        {
            MaxFrames = SettingValue.Int(variables, MaxFramesVariable, d.MaxFrames, 1, 1000),
            MaxFrameBytes = SettingValue.Int(variables, MaxFrameBytesVariable, d.MaxFrameBytes, 1024, 64 << 20),
            MaxSessionBytes = SettingValue.Long(variables, MaxSessionBytesVariable, d.MaxSessionBytes, 1024, 1L << 32),
            MaxDuration = TimeSpan.FromSeconds(SettingValue.Int(variables, MaxSecondsVariable, (int)d.MaxDuration.TotalSeconds, 1, 3600)),
            GoodFramesToFinish = SettingValue.Int(variables, GoodFramesVariable, d.GoodFramesToFinish, 1, 1000),
            MinGoodFrames = SettingValue.Int(variables, MinGoodFramesVariable, d.MinGoodFrames, 1, 1000),
            MinQuality = SettingValue.Float(variables, MinQualityVariable, d.MinQuality, 0, 1),
            MinFramesForLiveness = SettingValue.Int(variables, LivenessFramesVariable, d.MinFramesForLiveness, 2, 1000),
        };
        o.Validate();
        return o;
    }

    /// <summary>The limits that hold between settings; each message starts with the variable to change.</summary>
    public void Validate()
    {
        if (MaxFrames < 1) throw new ArgumentException($"{MaxFramesVariable}={MaxFrames}: must be at least 1");
        if (MaxFrameBytes < 1024) throw new ArgumentException($"{MaxFrameBytesVariable}={MaxFrameBytes}: must be at least 1024");
        if (MaxSessionBytes < MaxFrameBytes)
            throw new ArgumentException($"{MaxSessionBytesVariable}={MaxSessionBytes}: must be at least {MaxFrameBytesVariable} ({MaxFrameBytes})");
        if (MaxDuration <= TimeSpan.Zero) throw new ArgumentException($"{MaxSecondsVariable}: must be positive");
        if (GoodFramesToFinish < 1) throw new ArgumentException($"{GoodFramesVariable}={GoodFramesToFinish}: must be at least 1");
        if (MinGoodFrames < 1 || MinGoodFrames > GoodFramesToFinish)
            throw new ArgumentException($"{MinGoodFramesVariable}={MinGoodFrames}: must be 1..{GoodFramesVariable} ({GoodFramesToFinish})");
        if (MinGoodFrames > MaxFrames)
            throw new ArgumentException($"{MinGoodFramesVariable}={MinGoodFrames}: must be at most {MaxFramesVariable} ({MaxFrames})");
        if (MinFramesForLiveness < 2) throw new ArgumentException($"{LivenessFramesVariable}={MinFramesForLiveness}: must be at least 2");
    }
}
