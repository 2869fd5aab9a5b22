using FaceMatch.Models.Conversion.Onnx;
using FaceMatch.Models.Conversion.Tfjs.Ops;
using Onnx;

namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>Names the ONNX output for one TensorFlow tensor ("Identity_3" or "node:1").</summary>
public sealed record TfjsOutputBinding(string Tensor, string OnnxName);

public sealed record TfjsConversionOptions
{
    public string GraphName { get; init; } = "model";
    /// <summary>ONNX name of the graph input, when the model has exactly one Placeholder; null keeps the TensorFlow name.</summary>
    public string? InputName { get; init; }
    /// <summary>The outputs to produce; empty means the model's signature outputs under their TensorFlow names.</summary>
    public IReadOnlyList<TfjsOutputBinding> Outputs { get; init; } = [];
    /// <summary>Make the inputs' leading dimension dynamic, even where the source fixes it to 1.</summary>
    public bool DynamicBatch { get; init; } = true;
    public string DocString { get; init; } = "";
}

/// <summary>
/// Translates a TensorFlow.js graph model into an ONNX model (IR 8, opset 17). Only the nodes the
/// requested outputs depend on are converted; the model keeps its NHWC interface while
/// convolutions and pooling run on NCHW values inside (see <see cref="TfjsConversionContext"/>).
/// </summary>
public static class TfjsToOnnxConverter
{
    public const string Producer = "facematch-tfjs2onnx";

    public static IReadOnlyCollection<string> SupportedOps => [.. TfjsOpRegistry.SupportedOps, "Const", "Placeholder"];

    public static ModelProto Convert(TfjsGraphModel model, TfjsConversionOptions options)
    {
        var byName = new Dictionary<string, TfjsNode>();
        foreach (var n in model.Nodes)
            if (!byName.TryAdd(n.Name, n)) throw new TfjsFormatException($"two nodes are named '{n.Name}'");

        var outputs = options.Outputs.Count > 0
            ? options.Outputs
            : model.SignatureOutputs.Select(s => TfjsTensorRef.Parse(s)).Select(r => new TfjsOutputBinding(r.ToString(), r.Node)).ToList();
        if (outputs.Count == 0) throw new TfjsFormatException("the model has no signature outputs; name the outputs to convert");

        var order = TopologicalOrder(byName, outputs.Select(o => TfjsTensorRef.Parse(o.Tensor)).ToList());
        var unsupported = order.Select(n => n.Op).Where(op => op is not ("Const" or "Placeholder") && !TfjsOpRegistry.TryGet(op, out _))
            .Distinct().Order().ToList();
        if (unsupported.Count > 0)
            throw new TfjsFormatException($"unsupported TensorFlow ops: {string.Join(", ", unsupported)}");

        var builder = new OnnxGraphBuilder(options.GraphName);
        var ctx = new TfjsConversionContext(builder, model.Weights);
        var placeholders = order.Count(n => n.Op == "Placeholder");
        if (options.InputName != null && placeholders == 1) builder.ReserveName(options.InputName);
        foreach (var binding in outputs)
        {
            if (binding.OnnxName == options.InputName || outputs.Count(o => o.OnnxName == binding.OnnxName) > 1)
                throw new TfjsFormatException($"ONNX name '{binding.OnnxName}' is used twice");
            builder.ReserveName(binding.OnnxName);
        }
        foreach (var node in order)
        {
            try
            {
                switch (node.Op)
                {
                    case "Const":
                        ctx.SetOutput(node, TfValue.FromConstant(ctx.TryGetWeight(node.Name, out var w)
                            ? w : throw new TfjsFormatException($"constant '{node.Name}' has no weight in the weights manifest")));
                        break;
                    case "Placeholder":
                        AddInput(node, ctx, options, placeholders);
                        break;
                    default:
                        TfjsOpRegistry.TryGet(node.Op, out var converter);
                        converter(node, ctx);
                        break;
                }
            }
            catch (TfjsFormatException e) when (!e.Message.Contains(node.Name))
            {
                throw new TfjsFormatException($"{node}: {e.Message}");
            }
        }

        foreach (var binding in outputs)
        {
            var value = ctx.Lookup(TfjsTensorRef.Parse(binding.Tensor))
                ?? throw new TfjsFormatException($"output '{binding.Tensor}' is not produced by the graph");
            var name = builder.AddNamedNode("Identity", [ctx.Native(value)], binding.OnnxName);
            builder.AddOutput(name, TfDataTypes.ToOnnx(value.DType), ToOnnxShape(value.Shape));
        }
        return builder.Build(Producer, options.DocString);
    }

    private static void AddInput(TfjsNode node, TfjsConversionContext ctx, TfjsConversionOptions options, int placeholders)
    {
        var dtype = node.GetDType("dtype");
        var shape = node.GetShape("shape") ?? throw new TfjsFormatException($"input '{node.Name}' has no known rank");
        var logical = shape.Select((d, i) => i == 0 && options.DynamicBatch && (d == -1 || d == 1) ? Dims.Batch : d < 0 ? Dims.Unknown : d).ToArray();
        var name = options.InputName != null && placeholders == 1 ? options.InputName : node.Name;
        var onnxName = ctx.Builder.AddInput(name, TfDataTypes.ToOnnx(dtype), ToOnnxShape(logical));
        ctx.SetOutput(node, new TfValue(logical, dtype, nativeName: onnxName));
    }

    private static long?[] ToOnnxShape(long[] shape) => shape.Select(d => Dims.IsKnown(d) ? d : (long?)null).ToArray();

    /// <summary>The nodes the outputs depend on, producers before consumers.</summary>
    private static List<TfjsNode> TopologicalOrder(Dictionary<string, TfjsNode> byName, List<TfjsTensorRef> outputs)
    {
        var order = new List<TfjsNode>();
        var state = new Dictionary<string, bool>(); // false: on the stack, true: done
        var stack = new Stack<(TfjsNode Node, int Next)>();
        foreach (var output in outputs)
        {
            if (!byName.TryGetValue(output.Node, out var root)) throw new TfjsFormatException($"output node '{output.Node}' does not exist");
            if (state.ContainsKey(root.Name)) continue;
            state[root.Name] = false;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Inputs.Count)
                {
                    stack.Push((node, next + 1));
                    var inputName = node.Inputs[next].Node;
                    if (!byName.TryGetValue(inputName, out var input))
                        throw new TfjsFormatException($"{node} reads '{inputName}', which does not exist");
                    if (state.TryGetValue(inputName, out var done))
                    {
                        if (!done) throw new TfjsFormatException($"the graph has a cycle through '{inputName}' (control flow is not supported)");
                        continue;
                    }
                    state[inputName] = false;
                    stack.Push((input, 0));
                }
                else
                {
                    state[node.Name] = true;
                    order.Add(node);
                }
            }
        }
        return order;
    }
}
