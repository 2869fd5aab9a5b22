using FaceMatch.Models.Conversion.Onnx;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>
/// face-api.js FaceLandmark68Net as ONNX, following <c>faceFeatureExtractor/FaceFeatureExtractor.ts</c>,
/// <c>denseBlock.ts</c> and <c>faceProcessor/FaceProcessor.ts</c>: input 112x112 RGB 0..255 minus the RGB
/// mean, divided by 255; four densely connected blocks (32, 64, 128, 256 channels, each halving the
/// resolution: a stride-2 conv (a plain 3x3 conv in the first block, separable in the others) then
/// three separable convs, each fed the ReLU of the sum of all earlier outputs of the block);
/// a 7x7/2 average pool to 1x1; a 256x136 fully connected layer. The output is face-api's raw
/// <c>runNet</c> vector: 68 (x, y) pairs relative to the 112x112 input, before face-api maps them
/// back to the un-padded crop.
/// </summary>
public static class FaceLandmark68NetGraph
{
    public const string ModelName = "face_landmark_68_model";
    public const int InputSize = 112;
    public const int PointCount = 68;
    public const string InputName = "input";
    public const string OutputName = "landmarks";

    public static readonly float[] MeanRgb = [122.782f, 117.001f, 104.298f];

    public static ModelProto Build(FaceApiWeightMap weights)
    {
        var g = new OnnxGraphBuilder("faceapi_face_landmark_68_net");
        var tf = new TfLayerEmitter(g);

        var x = tf.NhwcInput(InputName, InputSize, InputSize, 3);
        x = tf.SubtractChannelMean(x, MeanRgb, "normalize");
        x = tf.DivideByScalar(x, 255f, "normalized");

        x = DenseBlock4(tf, weights, x, "dense0", isFirstLayer: true);
        x = DenseBlock4(tf, weights, x, "dense1", isFirstLayer: false);
        x = DenseBlock4(tf, weights, x, "dense2", isFirstLayer: false);
        x = DenseBlock4(tf, weights, x, "dense3", isFirstLayer: false);
        x = tf.AvgPool(x, 7, 2, TfPadding.Valid, "avgpool");
        if (x.Height != 1 || x.Width != 1)
            throw new InvalidOperationException($"landmark features pooled to {x.Height}x{x.Width}, expected 1x1");

        var features = g.AddNode("Reshape", [x.Name, tf.Int64s("features_shape", 0, x.Channels)], "features");
        var outputs = 2 * PointCount;
        var fcWeights = weights.Get("fc/weights", x.Channels, outputs);
        var fc = g.AddNode("MatMul", [features, g.AddInitializer("fc_weights", fcWeights.Values, [x.Channels, outputs])], "fc");
        var bias = g.AddInitializer("fc_bias", weights.Get("fc/bias", outputs).Values, [outputs]);
        var landmarks = g.AddNode("Add", [fc, bias], OutputName);
        g.AddOutput(landmarks, TensorProto.Types.DataType.Float, [null, outputs]);

        return g.Build("FaceMatch faceapi converter",
            "face-api.js FaceLandmark68Net: input NHWC float32 [N,112,112,3] RGB 0..255; output [N,136] = 68 (x, y) "
            + "pairs relative to the 112x112 input (0..1).");
    }

    /// <summary>face-api's denseBlock4 (stride 2 in its first conv).</summary>
    private static Activation DenseBlock4(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, string prefix, bool isFirstLayer)
    {
        Activation out1;
        if (isFirstLayer)
        {
            var filters = w.Get($"{prefix}/conv0/filters", 3, 3, x.Channels, -1);
            out1 = tf.Conv2D(x, filters, w.Get($"{prefix}/conv0/bias", filters.Shape[3]), 2, TfPadding.Same, prefix + "_conv0");
        }
        else
        {
            out1 = SeparableConv(tf, w, x, prefix + "/conv0", 2);
        }
        out1 = tf.Relu(out1, prefix + "_out1");

        var out2 = SeparableConv(tf, w, out1, prefix + "/conv1", 1);
        var in3 = tf.Relu(tf.Add(out1, out2, prefix + "_sum12"), prefix + "_in3");
        var out3 = SeparableConv(tf, w, in3, prefix + "/conv2", 1);
        // tfjs adds right to left: out1 + (out2 + out3), and out1 + (out2 + (out3 + out4)).
        var in4 = tf.Relu(tf.Add(out1, tf.Add(out2, out3, prefix + "_sum23"), prefix + "_sum123"), prefix + "_in4");
        var out4 = SeparableConv(tf, w, in4, prefix + "/conv3", 1);
        var sum = tf.Add(out1, tf.Add(out2, tf.Add(out3, out4, prefix + "_sum34"), prefix + "_sum234"), prefix + "_sum1234");
        return tf.Relu(sum, prefix + "_out");
    }

    private static Activation SeparableConv(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, string prefix, int stride)
    {
        var depthwise = w.Get($"{prefix}/depthwise_filter", 3, 3, x.Channels, 1);
        var pointwise = w.Get($"{prefix}/pointwise_filter", 1, 1, x.Channels, -1);
        return tf.SeparableConv2D(x, depthwise, pointwise, w.Get($"{prefix}/bias", pointwise.Shape[3]), stride, prefix.Replace('/', '_'));
    }
}
