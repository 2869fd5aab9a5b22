namespace FaceMatch.Vision.Quality;

/// <summary>Where quality scores start to fall and where hints fire. Defaults suit phone selfie frames.</summary>
public sealed record QualityOptions
{
    /// <summary>Eye-centre distance (pixels in the source frame) below which the face is too small to embed well.</summary>
    public float MinInterocularPixels { get; init; } = 28;
    /// <summary>Eye-centre distance at which size no longer limits quality.</summary>
    public float GoodInterocularPixels { get; init; } = 60;
    /// <summary>Mean face luminance (0..255) below which the frame is too dark, and above which too bright.</summary>
    public float DarkLuminance { get; init; } = 55;
    public float BrightLuminance { get; init; } = 215;
    /// <summary>Variance of the Laplacian of the grey aligned crop below which it is blurry, and where sharpness saturates.</summary>
    public float BlurryLaplacianVariance { get; init; } = 40;
    public float SharpLaplacianVariance { get; init; } = 250;
    /// <summary>Yaw (nose offset from the eye midpoint, in interocular distances) beyond which the face is turned away.</summary>
    public float MaxYawRatio { get; init; } = 0.30f;
    /// <summary>Head roll (eye-line angle) in degrees beyond which the face is tilted.</summary>
    public float MaxRollDegrees { get; init; } = 25;
    /// <summary>Pitch band for the nose's position between the eye line (0) and the mouth (1).</summary>
    public float MinPitchRatio { get; init; } = 0.25f;
    public float MaxPitchRatio { get; init; } = 0.80f;
}
