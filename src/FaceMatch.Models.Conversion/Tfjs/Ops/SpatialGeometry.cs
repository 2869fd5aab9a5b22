namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>
/// Output size and padding of a 2-D window op (conv or pool) under TensorFlow's rules. SAME puts
/// the odd pixel of padding at the end (bottom/right), which ONNX expresses as explicit pads.
/// </summary>
internal readonly record struct SpatialGeometry(long[]? Pads, long OutHeight, long OutWidth)
{
    /// <summary>True when the input size is unknown and SAME padding must be left to ONNX's SAME_UPPER.</summary>
    public bool UsesAutoPad => Pads == null;

    /// <param name="padding">SAME, VALID or EXPLICIT.</param>
    /// <param name="explicitPaddings">For EXPLICIT: 8 values, (before, after) per NHWC dimension.</param>
    public static SpatialGeometry Compute(TfjsNode node, string padding, long[] explicitPaddings,
        long inHeight, long inWidth, long kernelHeight, long kernelWidth,
        long strideHeight, long strideWidth, long dilationHeight, long dilationWidth)
    {
        if (strideHeight < 1 || strideWidth < 1 || dilationHeight < 1 || dilationWidth < 1)
            throw new TfjsFormatException($"{node}: strides and dilations must be positive");
        var effectiveHeight = (kernelHeight - 1) * dilationHeight + 1;
        var effectiveWidth = (kernelWidth - 1) * dilationWidth + 1;
        switch (padding)
        {
            case "VALID":
                return new([0, 0, 0, 0],
                    ValidOut(node, inHeight, effectiveHeight, strideHeight, 0),
                    ValidOut(node, inWidth, effectiveWidth, strideWidth, 0));
            case "EXPLICIT":
            {
                if (explicitPaddings.Length != 8)
                    throw new TfjsFormatException($"{node}: EXPLICIT padding needs 8 explicit_paddings values, has {explicitPaddings.Length}");
                if (explicitPaddings[0] != 0 || explicitPaddings[1] != 0 || explicitPaddings[6] != 0 || explicitPaddings[7] != 0)
                    throw new TfjsFormatException($"{node}: explicit padding of the batch or channel dimension is not supported");
                long top = explicitPaddings[2], bottom = explicitPaddings[3], left = explicitPaddings[4], right = explicitPaddings[5];
                if (top < 0 || bottom < 0 || left < 0 || right < 0) throw new TfjsFormatException($"{node}: negative padding");
                return new([top, left, bottom, right],
                    ValidOut(node, inHeight, effectiveHeight, strideHeight, top + bottom),
                    ValidOut(node, inWidth, effectiveWidth, strideWidth, left + right));
            }
            case "SAME":
            {
                if (!Dims.IsKnown(inHeight) || !Dims.IsKnown(inWidth))
                    return new(null, Dims.Unknown, Dims.Unknown);
                var (top, bottom, outH) = Same(inHeight, effectiveHeight, strideHeight);
                var (left, right, outW) = Same(inWidth, effectiveWidth, strideWidth);
                return new([top, left, bottom, right], outH, outW);
            }
            default:
                throw new TfjsFormatException($"{node}: padding '{padding}' is not supported (SAME, VALID, EXPLICIT)");
        }
    }

    private static (long Before, long After, long Out) Same(long input, long effectiveKernel, long stride)
    {
        var output = (input + stride - 1) / stride;
        var total = Math.Max((output - 1) * stride + effectiveKernel - input, 0);
        return (total / 2, total - total / 2, output);
    }

    private static long ValidOut(TfjsNode node, long input, long effectiveKernel, long stride, long padding)
    {
        if (!Dims.IsKnown(input)) return Dims.Unknown;
        var span = input + padding - effectiveKernel;
        if (span < 0) throw new TfjsFormatException($"{node}: window of {effectiveKernel} does not fit an input of {input} (+{padding} padding)");
        return span / stride + 1;
    }

    /// <summary>Reads strides/ksize/dilations style attributes: 4 values in NHWC order with 1 for N and C.</summary>
    public static (long Height, long Width) HeightWidth(TfjsNode node, string attribute, long fallback)
    {
        var values = node.GetInts(attribute);
        if (values.Length == 0) return (fallback, fallback);
        if (values.Length != 4 || values[0] != 1 || values[3] != 1)
            throw new TfjsFormatException($"{node}: {attribute} must be [1, h, w, 1], is [{string.Join(",", values)}]");
        return (values[1], values[2]);
    }
}
