using FaceMatch.Models.Conversion.Onnx;
using Onnx;

namespace FaceMatch.Models.Conversion.FaceApi;

/// <summary>An NCHW activation in the graph being built: its name and static shape (the batch is dynamic).</summary>
public readonly record struct Activation(string Name, int Channels, int Height, int Width);

/// <summary>TensorFlow's two padding modes, as tfjs <c>conv2d</c>/<c>pool</c> take them.</summary>
public enum TfPadding { Same, Valid }

/// <summary>
/// Emits TensorFlow.js layer semantics as ONNX nodes. face-api.js nets are NHWC with HWIO filters
/// and TF's SAME/VALID padding; ONNX convolutions are NCHW with OIHW filters and explicit pads.
/// This class does that translation once: it keeps activations in NCHW with known spatial
/// sizes, so TF's asymmetric SAME padding (the extra row/column goes at the end) can be written
/// as explicit pads, and transposes every filter as it becomes an initializer.
/// </summary>
public sealed class TfLayerEmitter(OnnxGraphBuilder graph)
{
    private const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    public OnnxGraphBuilder Graph { get; } = graph;

    /// <summary>Declares the NHWC float input (dynamic batch) and transposes it to NCHW.</summary>
    public Activation NhwcInput(string name, int height, int width, int channels)
    {
        var input = Graph.AddInput(name, Float, [null, height, width, channels]);
        var nchw = Graph.AddNode("Transpose", [input], "input_nchw", OnnxAttribute.Ints("perm", 0, 3, 1, 2));
        return new Activation(nchw, channels, height, width);
    }

    /// <summary>x - mean[c], with a per-channel (RGB) mean, as face-api's <c>normalize()</c>.</summary>
    public Activation SubtractChannelMean(Activation x, float[] mean, string hint) =>
        x with { Name = Graph.AddNode("Sub", [x.Name, ChannelConstant(hint + "_mean", mean, x.Channels)], hint) };

    public Activation DivideByScalar(Activation x, float divisor, string hint) =>
        x with { Name = Graph.AddNode("Div", [x.Name, Scalar(hint + "_divisor", divisor)], hint) };

    public Activation MultiplyByScalar(Activation x, float factor, string hint) =>
        x with { Name = Graph.AddNode("Mul", [x.Name, Scalar(hint + "_factor", factor)], hint) };

    public Activation SubtractScalar(Activation x, float value, string hint) =>
        x with { Name = Graph.AddNode("Sub", [x.Name, Scalar(hint + "_value", value)], hint) };

    /// <summary>tf.conv2d with an HWIO filter [kh, kw, in, out] and an optional bias added after it.</summary>
    public Activation Conv2D(Activation x, WeightTensor filter, WeightTensor? bias, int stride, TfPadding padding, string hint)
    {
        if (filter.Shape is not [var kh, var kw, var cin, var cout])
            throw new FaceApiWeightsException($"'{filter.Name}' is not a 4-d HWIO filter");
        if (cin != x.Channels)
            throw new FaceApiWeightsException($"'{filter.Name}' expects {cin} input channels, the layer gets {x.Channels}");
        var weight = Graph.AddInitializer(hint + "_w", HwioToOihw(filter.Values, kh, kw, cin, cout), [cout, cin, kh, kw]);
        return Convolution(x, weight, bias, kh, kw, cout, group: 1, stride, padding, hint);
    }

    /// <summary>tf.depthwiseConv2d with a filter [kh, kw, in, multiplier] (output channel = c * multiplier + m).</summary>
    public Activation DepthwiseConv2D(Activation x, WeightTensor filter, int stride, TfPadding padding, string hint)
    {
        if (filter.Shape is not [var kh, var kw, var cin, var multiplier])
            throw new FaceApiWeightsException($"'{filter.Name}' is not a 4-d depthwise filter");
        if (cin != x.Channels)
            throw new FaceApiWeightsException($"'{filter.Name}' expects {cin} input channels, the layer gets {x.Channels}");
        var cout = cin * multiplier;
        // HWCM -> (C*M) x 1 x H x W: the same transpose as HWIO -> OIHW with "in" = 1 and "out" = C*M.
        var weight = Graph.AddInitializer(hint + "_w", HwioToOihw(filter.Values, kh, kw, 1, cout), [cout, 1, kh, kw]);
        return Convolution(x, weight, null, kh, kw, cout, group: cin, stride, padding, hint);
    }

    /// <summary>tf.separableConv2d (depthwise, then a 1x1 pointwise conv) followed by a bias, as face-api's depthwiseSeparableConv.</summary>
    public Activation SeparableConv2D(Activation x, WeightTensor depthwise, WeightTensor pointwise, WeightTensor bias, int stride, string hint)
    {
        var dw = DepthwiseConv2D(x, depthwise, stride, TfPadding.Same, hint + "_dw");
        return Conv2D(dw, pointwise, bias, 1, TfPadding.Valid, hint + "_pw");
    }

    /// <summary>x * w[c] + b[c] (face-api's ScaleLayer).</summary>
    public Activation Scale(Activation x, WeightTensor weights, WeightTensor biases, string hint)
    {
        var mul = Graph.AddNode("Mul", [x.Name, ChannelConstant(hint + "_weights", weights, x.Channels)], hint + "_mul");
        return x with { Name = Graph.AddNode("Add", [mul, ChannelConstant(hint + "_biases", biases, x.Channels)], hint) };
    }

    /// <summary>x + b[c].</summary>
    public Activation AddChannelBias(Activation x, WeightTensor bias, string hint) =>
        x with { Name = Graph.AddNode("Add", [x.Name, ChannelConstant(hint + "_bias", bias, x.Channels)], hint) };

    /// <summary>tf.batchNorm in inference form: (x - mean) / sqrt(var + eps) * scale + offset.</summary>
    public Activation BatchNorm(Activation x, WeightTensor scale, WeightTensor offset, WeightTensor mean, WeightTensor variance, float epsilon, string hint)
    {
        string Vector(string suffix, WeightTensor t) =>
            Graph.AddInitializer(hint + suffix, CheckLength(t, x.Channels), [x.Channels]);
        var name = Graph.AddNode("BatchNormalization",
            [x.Name, Vector("_scale", scale), Vector("_offset", offset), Vector("_mean", mean), Vector("_var", variance)],
            hint, OnnxAttribute.Float("epsilon", epsilon));
        return x with { Name = name };
    }

    public Activation Relu(Activation x, string hint) => x with { Name = Graph.AddNode("Relu", [x.Name], hint) };

    /// <summary>tf.clipByValue(x, min, max): ReLU6 when 0..6.</summary>
    public Activation Clip(Activation x, float min, float max, string hint) =>
        x with { Name = Graph.AddNode("Clip", [x.Name, Scalar(hint + "_min", min), Scalar(hint + "_max", max)], hint) };

    public Activation Add(Activation a, Activation b, string hint)
    {
        if (a.Channels != b.Channels || a.Height != b.Height || a.Width != b.Width)
            throw new InvalidOperationException($"{hint}: adding {a} and {b} of different shapes");
        return a with { Name = Graph.AddNode("Add", [a.Name, b.Name], hint) };
    }

    public Activation MaxPool(Activation x, int kernel, int stride, TfPadding padding, string hint) =>
        Pool("MaxPool", x, kernel, stride, padding, hint);

    /// <summary>tf.avgPool; with SAME padding tfjs averages over the valid cells only (count_include_pad = 0).</summary>
    public Activation AvgPool(Activation x, int kernel, int stride, TfPadding padding, string hint) =>
        Pool("AveragePool", x, kernel, stride, padding, hint);

    /// <summary>Appends zeros: <paramref name="channels"/> channels after the last one, rows at the bottom, columns at the right.</summary>
    public Activation PadZerosAtEnd(Activation x, int channels, int rows, int columns, string hint)
    {
        var pads = Graph.AddInitializer(hint + "_pads", new long[] { 0, 0, 0, 0, 0, channels, rows, columns }, [8]);
        return new Activation(Graph.AddNode("Pad", [x.Name, pads], hint, OnnxAttribute.String("mode", "constant")),
            x.Channels + channels, x.Height + rows, x.Width + columns);
    }

    /// <summary>NCHW back to NHWC (for reshapes that must follow TensorFlow's element order).</summary>
    public string ToNhwc(Activation x, string hint) =>
        Graph.AddNode("Transpose", [x.Name], hint, OnnxAttribute.Ints("perm", 0, 2, 3, 1));

    /// <summary>A float initializer shaped [1, C, 1, 1], broadcasting over NCHW.</summary>
    public string ChannelConstant(string hint, WeightTensor t, int channels) =>
        Graph.AddInitializer(hint, CheckLength(t, channels), [1, channels, 1, 1]);

    public string ChannelConstant(string hint, float[] values, int channels)
    {
        if (values.Length != channels) throw new ArgumentException($"{hint}: {values.Length} values for {channels} channels");
        return Graph.AddInitializer(hint, values, [1, channels, 1, 1]);
    }

    public string Scalar(string hint, float value) => Graph.AddInitializer(hint, [value], []);

    public string Int64s(string hint, params long[] values) => Graph.AddInitializer(hint, values, [values.Length]);

    /// <summary>Output size and (begin, end) pads of one spatial axis under TF's padding rules.</summary>
    public static (int Output, int PadBegin, int PadEnd) TfSpatial(int input, int kernel, int stride, TfPadding padding)
    {
        if (padding == TfPadding.Valid)
        {
            if (input < kernel) throw new InvalidOperationException($"VALID window {kernel} larger than input {input}");
            return ((input - kernel) / stride + 1, 0, 0);
        }
        var output = (input + stride - 1) / stride;
        var total = Math.Max((output - 1) * stride + kernel - input, 0);
        return (output, total / 2, total - total / 2);
    }

    private Activation Convolution(Activation x, string weight, WeightTensor? bias, int kh, int kw, int cout, int group,
        int stride, TfPadding padding, string hint)
    {
        var (oh, top, bottom) = TfSpatial(x.Height, kh, stride, padding);
        var (ow, left, right) = TfSpatial(x.Width, kw, stride, padding);
        List<string> inputs = [x.Name, weight];
        if (bias != null) inputs.Add(Graph.AddInitializer(hint + "_b", CheckLength(bias, cout), [cout]));
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", stride, stride),
            OnnxAttribute.Ints("pads", top, left, bottom, right),
        };
        if (group != 1) attributes.Add(OnnxAttribute.Int("group", group));
        var name = Graph.AddNode("Conv", inputs, hint, [.. attributes]);
        return new Activation(name, cout, oh, ow);
    }

    private Activation Pool(string op, Activation x, int kernel, int stride, TfPadding padding, string hint)
    {
        var (oh, top, bottom) = TfSpatial(x.Height, kernel, stride, padding);
        var (ow, left, right) = TfSpatial(x.Width, kernel, stride, padding);
        var name = Graph.AddNode(op, [x.Name], hint,
            OnnxAttribute.Ints("kernel_shape", kernel, kernel),
            OnnxAttribute.Ints("strides", stride, stride),
            OnnxAttribute.Ints("pads", top, left, bottom, right));
        return new Activation(name, x.Channels, oh, ow);
    }

    private static float[] CheckLength(WeightTensor t, int length) =>
        t.ElementCount == length
            ? t.Values
            : throw new FaceApiWeightsException($"'{t.Name}' has {t.ElementCount} values, the layer needs {length}");

    /// <summary>[kh, kw, in, out] row-major to [out, in, kh, kw] row-major.</summary>
    private static float[] HwioToOihw(float[] hwio, int kh, int kw, int cin, int cout)
    {
        var oihw = new float[hwio.Length];
        for (var y = 0; y < kh; y++)
        for (var x = 0; x < kw; x++)
        for (var i = 0; i < cin; i++)
        for (var o = 0; o < cout; o++)
            oihw[((o * cin + i) * kh + y) * kw + x] = hwio[((y * kw + x) * cin + i) * cout + o];
        return oihw;
    }
}
