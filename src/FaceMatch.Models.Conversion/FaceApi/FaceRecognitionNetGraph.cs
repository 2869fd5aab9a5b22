using FaceMatch.Models.Conversion.Onnx;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>
/// face-api.js FaceRecognitionNet (a ResNet-34 port of dlib's face descriptor network) as ONNX,
/// following face-api's <c>faceRecognitionNet/FaceRecognitionNet.ts</c> layer by layer:
/// input 150x150 RGB 0..255, minus the RGB mean, divided by 255; 7x7/2 VALID conv + scale + ReLU;
/// 3x3/2 VALID max pool; residual stages of 32, 64, 128 and 256 channels where the "down" blocks
/// convolve with stride 2 (VALID) and shortcut through a 2x2/2 average pool, zero-padded in
/// channels (and in rows/columns where the conv path comes out one smaller); a global spatial
/// mean and a 256x128 matrix product. The 128-d output is not L2-normalised (face-api's
/// computeFaceDescriptor returns it as is).
/// </summary>
public static class FaceRecognitionNetGraph
{
    public const string ModelName = "face_recognition_model";
    public const int InputSize = 150;
    public const int DescriptorLength = 128;
    public const string InputName = "input";
    public const string OutputName = "descriptor";

    /// <summary>face-api's meanRgb for this net (subtracted before the division by 255).</summary>
    public static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    public static ModelProto Build(FaceApiWeightMap weights)
    {
        var g = new OnnxGraphBuilder("faceapi_face_recognition_net");
        var tf = new TfLayerEmitter(g);

        var x = tf.NhwcInput(InputName, InputSize, InputSize, 3);
        x = tf.SubtractChannelMean(x, MeanRgb, "normalize");
        x = tf.DivideByScalar(x, 255f, "normalized");

        x = ConvLayer(tf, weights, x, "conv32_down", stride: 2, TfPadding.Valid, relu: true);
        x = tf.MaxPool(x, 3, 2, TfPadding.Valid, "maxpool");

        x = Residual(tf, weights, x, "conv32_1");
        x = Residual(tf, weights, x, "conv32_2");
        x = Residual(tf, weights, x, "conv32_3");

        x = ResidualDown(tf, weights, x, "conv64_down");
        x = Residual(tf, weights, x, "conv64_1");
        x = Residual(tf, weights, x, "conv64_2");
        x = Residual(tf, weights, x, "conv64_3");

        x = ResidualDown(tf, weights, x, "conv128_down");
        x = Residual(tf, weights, x, "conv128_1");
        x = Residual(tf, weights, x, "conv128_2");

        x = ResidualDown(tf, weights, x, "conv256_down");
        x = Residual(tf, weights, x, "conv256_1");
        x = Residual(tf, weights, x, "conv256_2");
        x = ResidualDown(tf, weights, x, "conv256_down_out");

        var pooled = g.AddNode("ReduceMean", [x.Name], "global_avg",
            OnnxAttribute.Ints("axes", 2, 3), OnnxAttribute.Int("keepdims", 0));
        var fc = weights.Get("fc", x.Channels, DescriptorLength);
        var fcWeights = g.AddInitializer("fc", fc.Values, [x.Channels, DescriptorLength]);
        var descriptor = g.AddNode("MatMul", [pooled, fcWeights], OutputName);
        g.AddOutput(descriptor, TensorProto.Types.DataType.Float, [null, DescriptorLength]);

        return g.Build("FaceMatch faceapi converter",
            "face-api.js FaceRecognitionNet (ResNet-34 port of dlib's face descriptor): "
            + "input NHWC float32 [N,150,150,3] RGB 0..255, output [N,128] descriptor (not L2-normalised).");
    }

    /// <summary>conv + bias, then the ScaleLayer (x * weights + biases), then optionally ReLU (face-api convLayer).</summary>
    private static Activation ConvLayer(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, string prefix, int stride, TfPadding padding, bool relu)
    {
        var filters = w.Get($"{prefix}/conv/filters", -1, -1, x.Channels, -1);
        var cout = filters.Shape[3];
        var conv = tf.Conv2D(x, filters, w.Get($"{prefix}/conv/bias", cout), stride, padding, prefix + "_conv");
        var scaled = tf.Scale(conv, w.Get($"{prefix}/scale/weights", cout), w.Get($"{prefix}/scale/biases", cout), prefix + "_scale");
        return relu ? tf.Relu(scaled, prefix + "_relu") : scaled;
    }

    /// <summary>relu(convNoRelu(conv(x)) + x), both convs 3x3/1 SAME.</summary>
    private static Activation Residual(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, string prefix)
    {
        var a = ConvLayer(tf, w, x, prefix + "/conv1", 1, TfPadding.Same, relu: true);
        var b = ConvLayer(tf, w, a, prefix + "/conv2", 1, TfPadding.Same, relu: false);
        return tf.Relu(tf.Add(b, x, prefix + "_add"), prefix + "_out");
    }

    /// <summary>
    /// face-api's residualDown: conv path 3x3/2 VALID then 3x3/1 SAME; shortcut avgPool 2x2/2 VALID,
    /// zero channels appended when the conv path is wider; when the conv path is spatially smaller,
    /// one zero row and one zero column are appended to it (face-api concatenates zeros after it).
    /// </summary>
    private static Activation ResidualDown(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, string prefix)
    {
        var a = ConvLayer(tf, w, x, prefix + "/conv1", 2, TfPadding.Valid, relu: true);
        var b = ConvLayer(tf, w, a, prefix + "/conv2", 1, TfPadding.Same, relu: false);
        var pooled = tf.AvgPool(x, 2, 2, TfPadding.Valid, prefix + "_pool");

        if (pooled.Height != b.Height || pooled.Width != b.Width)
        {
            b = tf.PadZerosAtEnd(b, 0, 1, 1, prefix + "_adjust");
            if (pooled.Height != b.Height || pooled.Width != b.Width)
                throw new FaceApiWeightsException(
                    $"{prefix}: conv path {b.Height}x{b.Width} cannot be matched to the shortcut {pooled.Height}x{pooled.Width}");
        }
        if (pooled.Channels != b.Channels)
        {
            // face-api concatenates a zero tensor shaped like the pooled input, doubling its channels.
            if (b.Channels != 2 * pooled.Channels)
                throw new FaceApiWeightsException($"{prefix}: {b.Channels} conv channels vs {pooled.Channels} shortcut channels");
            pooled = tf.PadZerosAtEnd(pooled, pooled.Channels, 0, 0, prefix + "_shortcut_pad");
        }
        return tf.Relu(tf.Add(pooled, b, prefix + "_add"), prefix + "_out");
    }
}
