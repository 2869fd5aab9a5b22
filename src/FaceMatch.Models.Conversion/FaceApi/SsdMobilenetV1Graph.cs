using FaceMatch.Models.Conversion.Onnx;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>
/// face-api.js SsdMobilenetv1 face detector as ONNX, following <c>ssdMobilenetv1/*.ts</c>: input
/// 512x512 RGB 0..255 scaled to -1..1; MobileNetV1 (3x3/2 conv, then 13 depthwise (batch norm,
/// ReLU6) + pointwise (folded bias, ReLU6) pairs, stride 2 at pairs 2, 4, 6 and 12); eight extra
/// pointwise layers; six SSD box predictors (on pair 11's output, the backbone output and extra
/// layers 1, 3, 5, 7) giving 5118 anchors; and face-api's output layer: box regression against
/// the prior boxes (Output/extra_dim; centre offsets / 10, log sizes / 5) and a sigmoid on the face
/// class logit. Non-maximum suppression stays outside the graph, as in face-api.
/// </summary>
public static class SsdMobilenetV1Graph
{
    public const string ModelName = "ssd_mobilenetv1_model";
    public const int InputSize = 512;
    public const int AnchorCount = 5118;
    public const string InputName = "input";
    public const string BoxesName = "boxes";
    public const string ScoresName = "scores";

    /// <summary>tf.batchNorm's epsilon in face-api's mobileNetV1 (0.001 as a float32).</summary>
    public const float BatchNormEpsilon = 0.0010000000474974513f;

    private static readonly int[] StrideTwoPairs = [2, 4, 6, 12];

    public static ModelProto Build(FaceApiWeightMap weights)
    {
        var g = new OnnxGraphBuilder("faceapi_ssd_mobilenetv1");
        var tf = new TfLayerEmitter(g);

        var x = tf.NhwcInput(InputName, InputSize, InputSize, 3);
        x = tf.DivideByScalar(x, 127.5f, "scaled");
        x = tf.SubtractScalar(x, 1f, "normalized");

        // MobileNetV1 backbone.
        x = PointwiseConvLayer(tf, weights, x, "MobilenetV1/Conv2d_0_pointwise", 2);
        Activation conv11 = default;
        for (var i = 1; i <= 13; i++)
        {
            var stride = StrideTwoPairs.Contains(i) ? 2 : 1;
            x = DepthwiseConvLayer(tf, weights, x, $"MobilenetV1/Conv2d_{i}_depthwise", stride);
            x = PointwiseConvLayer(tf, weights, x, $"MobilenetV1/Conv2d_{i}_pointwise", 1);
            if (i == 11) conv11 = x;
        }

        // Extra feature layers (face-api's predictionLayer).
        var extra = new Activation[8];
        var previous = x;
        for (var i = 0; i < 8; i++)
            previous = extra[i] = PointwiseConvLayer(tf, weights, previous, $"Prediction/Conv2d_{i}_pointwise", i % 2 == 1 ? 2 : 1);

        Activation[] sources = [conv11, x, extra[1], extra[3], extra[5], extra[7]];
        var boxEncodings = new List<string>();
        var classLogits = new List<string>();
        for (var i = 0; i < sources.Length; i++)
        {
            var (box, cls) = BoxPredictor(tf, weights, sources[i], i);
            boxEncodings.Add(box);
            classLogits.Add(cls);
        }
        var encodings = g.AddNode("Concat", boxEncodings, "box_encodings", OnnxAttribute.Int("axis", 1));
        var logits = g.AddNode("Concat", classLogits, "class_logits", OnnxAttribute.Int("axis", 1));

        var boxes = DecodeBoxes(tf, encodings, weights.Get("Output/extra_dim", 1, AnchorCount, 4));
        g.AddOutput(boxes, TensorProto.Types.DataType.Float, [null, AnchorCount, 4]);

        // scores = sigmoid(logit of class 1, "face"); class 0 is the background.
        var faceLogit = g.AddNode("Slice",
            [logits, tf.Int64s("face_start", 1), tf.Int64s("face_end", 2), tf.Int64s("face_axis", 2)], "face_logit");
        var sigmoid = g.AddNode("Sigmoid", [faceLogit], "face_sigmoid");
        var scores = g.AddNode("Reshape", [sigmoid, tf.Int64s("scores_shape", 0, AnchorCount)], ScoresName);
        g.AddOutput(scores, TensorProto.Types.DataType.Float, [null, AnchorCount]);

        return g.Build("FaceMatch faceapi converter",
            "face-api.js SsdMobilenetv1 face detector: input NHWC float32 [N,512,512,3] RGB 0..255; outputs boxes "
            + "[N,5118,4] (ymin, xmin, ymax, xmax relative to the input) and scores [N,5118], before non-maximum suppression.");
    }

    /// <summary>conv (SAME) + the folded batch-norm offset + ReLU6 (face-api pointwiseConvLayer; also used for 3x3 filters).</summary>
    private static Activation PointwiseConvLayer(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, string prefix, int stride)
    {
        var filters = w.Get($"{prefix}/weights", -1, -1, x.Channels, -1);
        var conv = tf.Conv2D(x, filters, w.Get($"{prefix}/convolution_bn_offset", filters.Shape[3]), stride, TfPadding.Same, prefix);
        return tf.Clip(conv, 0, 6, prefix + "_relu6");
    }

    /// <summary>depthwise 3x3 (SAME) + batch norm + ReLU6 (face-api depthwiseConvLayer).</summary>
    private static Activation DepthwiseConvLayer(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, string prefix, int stride)
    {
        var c = x.Channels;
        var conv = tf.DepthwiseConv2D(x, w.Get($"{prefix}/depthwise_weights", 3, 3, c, 1), stride, TfPadding.Same, prefix);
        var bn = tf.BatchNorm(conv,
            w.Get($"{prefix}/BatchNorm/gamma", c), w.Get($"{prefix}/BatchNorm/beta", c),
            w.Get($"{prefix}/BatchNorm/moving_mean", c), w.Get($"{prefix}/BatchNorm/moving_variance", c),
            BatchNormEpsilon, prefix + "_bn");
        return tf.Clip(bn, 0, 6, prefix + "_relu6");
    }

    /// <summary>
    /// One SSD head: 1x1 convs for box encodings (4 per anchor) and class logits (3 per anchor),
    /// reshaped in TensorFlow's NHWC element order to [N, anchors, 4] and [N, anchors, 3].
    /// </summary>
    private static (string Box, string Class) BoxPredictor(TfLayerEmitter tf, FaceApiWeightMap w, Activation x, int index)
    {
        string Head(string kind, int perAnchor)
        {
            var prefix = $"Prediction/BoxPredictor_{index}/{kind}";
            var filters = w.Get($"{prefix}/weights", 1, 1, x.Channels, -1);
            if (filters.Shape[3] % perAnchor != 0)
                throw new FaceApiWeightsException($"'{filters.Name}' has {filters.Shape[3]} outputs, not a multiple of {perAnchor}");
            var conv = tf.Conv2D(x, filters, w.Get($"{prefix}/biases", filters.Shape[3]), 1, TfPadding.Same, prefix);
            var nhwc = tf.ToNhwc(conv, prefix + "_nhwc");
            return tf.Graph.AddNode("Reshape", [nhwc, tf.Int64s(prefix + "_shape", 0, -1, perAnchor)], prefix + "_flat");
        }
        return (Head("BoxEncodingPredictor", 4), Head("ClassPredictor", 3));
    }

    /// <summary>
    /// face-api's decodeBoxesLayer against the priors [ymin, xmin, ymax, xmax]: with prior size s and
    /// centre c per axis, centre = e_c / 10 * s + c and half size = exp(e_s / 5) * s / 2. The prior
    /// sizes and centres are constants, computed in float32 in the same order tfjs computes them.
    /// </summary>
    private static string DecodeBoxes(TfLayerEmitter tf, string encodings, WeightTensor priors)
    {
        var g = tf.Graph;
        var p = priors.Values;
        var sizeY = new float[AnchorCount];
        var sizeX = new float[AnchorCount];
        var centreY = new float[AnchorCount];
        var centreX = new float[AnchorCount];
        for (var i = 0; i < AnchorCount; i++)
        {
            sizeY[i] = p[4 * i + 2] - p[4 * i];
            sizeX[i] = p[4 * i + 3] - p[4 * i + 1];
            centreY[i] = p[4 * i] + sizeY[i] / 2f;
            centreX[i] = p[4 * i + 1] + sizeX[i] / 2f;
        }
        string Column(string hint, float[] values) => g.AddInitializer(hint, values, [AnchorCount, 1]);

        var e = g.AddNode("Split", [encodings, tf.Int64s("split_sizes", 1, 1, 1, 1)], 4, "encoding", OnnxAttribute.Int("axis", 2));
        string HalfSize(string enc, string size, string hint) =>
            g.AddNode("Div", [
                g.AddNode("Mul", [g.AddNode("Exp", [g.AddNode("Div", [enc, tf.Scalar(hint + "_five", 5f)], hint + "_log")], hint + "_exp"), size], hint + "_scaled"),
                tf.Scalar(hint + "_two", 2f)], hint);
        string Centre(string enc, string size, string centre, string hint) =>
            g.AddNode("Add", [
                g.AddNode("Mul", [g.AddNode("Div", [enc, tf.Scalar(hint + "_ten", 10f)], hint + "_offset"), size], hint + "_scaled"),
                centre], hint);

        var sy = Column("prior_size_y", sizeY);
        var sx = Column("prior_size_x", sizeX);
        var halfY = HalfSize(e[2], sy, "half_h");
        var cy = Centre(e[0], sy, Column("prior_centre_y", centreY), "centre_y");
        var halfX = HalfSize(e[3], sx, "half_w");
        var cx = Centre(e[1], sx, Column("prior_centre_x", centreX), "centre_x");
        return g.AddNode("Concat", [
            g.AddNode("Sub", [cy, halfY], "ymin"),
            g.AddNode("Sub", [cx, halfX], "xmin"),
            g.AddNode("Add", [cy, halfY], "ymax"),
            g.AddNode("Add", [cx, halfX], "xmax"),
        ], BoxesName, OnnxAttribute.Int("axis", 2));
    }
}
