namespace FaceMatch.Vision.Imaging;

public enum TensorLayout
{
    /// <summary>Height, width, channel: R G B R G B ... (TensorFlow-style models: BlazeFace, MobileFaceNet).</summary>
    Nhwc,
    /// <summary>Channel planes: all R, then all G, then all B (PyTorch-style models).</summary>
    Nchw,
}

public enum ChannelOrder
{
    Rgb,
    Bgr,
}

/// <summary>Per-channel normalisation out = (value − mean) × scale, value in 0..255, given in R, G, B order.</summary>
public readonly record struct TensorNormalization(
    float MeanR, float MeanG, float MeanB, float ScaleR, float ScaleG, float ScaleB)
{
    public static TensorNormalization Uniform(float mean, float scale) => new(mean, mean, mean, scale, scale, scale);

    /// <summary>Raw 0..255 floats.</summary>
    public static TensorNormalization Raw => Uniform(0f, 1f);

    /// <summary>0..1.</summary>
    public static TensorNormalization ZeroToOne => Uniform(0f, 1f / 255f);

    /// <summary>−1..1 (ArcFace/MobileFaceNet style: (v − 127.5) / 127.5).</summary>
    public static TensorNormalization MinusOneToOne => Uniform(127.5f, 1f / 127.5f);

    public float Apply(int channel, float value) => channel switch
    {
        0 => (value - MeanR) * ScaleR,
        1 => (value - MeanG) * ScaleG,
        2 => (value - MeanB) * ScaleB,
        _ => throw new ArgumentOutOfRangeException(nameof(channel)),
    };
}

/// <summary>
/// The float tensor one image becomes: <see cref="Width"/> × <see cref="Height"/> × 3 values laid out per
/// <see cref="Layout"/>. For a batch, item n occupies elements [n · ElementCount, (n + 1) · ElementCount).
/// </summary>
public sealed record ImageTensorFormat
{
    public ImageTensorFormat(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
    }

    public int Width { get; }
    public int Height { get; }
    public TensorLayout Layout { get; init; } = TensorLayout.Nhwc;
    public ChannelOrder Channels { get; init; } = ChannelOrder.Rgb;
    public TensorNormalization Normalization { get; init; } = TensorNormalization.Raw;

    /// <summary>Colour (before normalisation) of letterbox padding and of warp samples outside the source.</summary>
    public Rgb24 Fill { get; init; } = Rgb24.Black;

    public int ElementCount => Width * Height * 3;

    /// <summary>Index of channel <paramref name="c"/> (0 = R, 1 = G, 2 = B) of pixel (x, y) in one item's span.</summary>
    public int IndexOf(int x, int y, int c)
    {
        var slot = Channels == ChannelOrder.Bgr ? 2 - c : c;
        return Layout == TensorLayout.Nhwc ? (y * Width + x) * 3 + slot : slot * Width * Height + y * Width + x;
    }

    internal unsafe Native.NativeTensorFormat ToNative()
    {
        var n = new Native.NativeTensorFormat
        {
            Width = Width,
            Height = Height,
            Flags = (Layout == TensorLayout.Nchw ? Native.NativeTensorFormat.Nchw : 0)
                    | (Channels == ChannelOrder.Bgr ? Native.NativeTensorFormat.Bgr : 0),
        };
        n.Mean[0] = Normalization.MeanR; n.Mean[1] = Normalization.MeanG; n.Mean[2] = Normalization.MeanB;
        n.Scale[0] = Normalization.ScaleR; n.Scale[1] = Normalization.ScaleG; n.Scale[2] = Normalization.ScaleB;
        n.Fill[0] = Fill.R; n.Fill[1] = Fill.G; n.Fill[2] = Fill.B;
        return n;
    }
}
