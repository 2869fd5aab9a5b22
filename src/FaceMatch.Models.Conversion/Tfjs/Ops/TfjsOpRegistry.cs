namespace FaceMatch.Models.Conversion.Tfjs.Ops;

/// <summary>Converts one TensorFlow node: reads its inputs from the context and publishes its outputs.</summary>
public delegate void TfjsOpConverter(TfjsNode node, TfjsConversionContext context);

/// <summary>Every TensorFlow op the converter understands, by GraphDef op name.</summary>
public static class TfjsOpRegistry
{
    private static readonly Dictionary<string, TfjsOpConverter> Converters = Build();

    public static IReadOnlyCollection<string> SupportedOps => Converters.Keys;

    public static bool TryGet(string op, out TfjsOpConverter converter) => Converters.TryGetValue(op, out converter!);

    private static Dictionary<string, TfjsOpConverter> Build()
    {
        var map = new Dictionary<string, TfjsOpConverter>(StringComparer.Ordinal);
        ElementwiseOps.Register(map);
        ConvolutionOps.Register(map);
        PoolingOps.Register(map);
        MatMulOps.Register(map);
        NormalizationOps.Register(map);
        ReductionOps.Register(map);
        ShapeOps.Register(map);
        SliceOps.Register(map);
        ResizeOps.Register(map);
        return map;
    }
}
