using System.Text.Json;
using FaceMatch.Models.Manifest;
using Google.Protobuf;
using Onnx;

namespace FaceMatch.Models.Conversion.Faceplugin;

/// <summary>
/// A native ONNX model of the pinned npm package faceplugin-face-recognition-js@0.0.1. Nothing is converted: the
/// graph is copied as published, except that its batch dimension is made dynamic so the pipeline can batch it
/// (the file fixes it at 1: the graph input and outputs get a symbolic batch, and a Reshape to [1, -1] becomes
/// [0, -1], "keep the batch"). Weights and every other node are left as they are.
/// </summary>
public sealed class FacepluginRecipe(FacepluginModel model) : IModelRecipe
{
    public const string PackageName = "faceplugin-face-recognition-js";
    public const string PackageVersion = "0.0.1";
    public const string PackageLicense = "MIT";
    /// <summary>Source format of these entries: a published ONNX file used as is (apart from the batch dimension).</summary>
    public const string SourceFormat = "onnx-package";
    /// <summary>Folder under the deps folder the pinned tarball is unpacked into (deps/npm-packages.txt).</summary>
    public const string DepsFolder = "faceplugin";

    public string Id => model.Id;

    public static string PackageDir(string depsDir) => Path.Combine(depsDir, DepsFolder, "package");

    /// <summary>The package's file with its batch made dynamic, in memory (the same bytes <see cref="Convert"/> writes).</summary>
    public ModelProto BuildModel(string depsDir)
    {
        var packageDir = PackageDir(depsDir);
        CheckPackageVersion(packageDir);
        using var stream = File.OpenRead(Path.Combine(packageDir, model.PackagePath));
        var proto = ModelProto.Parser.ParseFrom(stream);
        MakeBatchDynamic(proto.Graph);
        return proto;
    }

    public ModelEntry Convert(ConversionContext context)
    {
        var packageDir = PackageDir(context.DepsDir);
        var proto = BuildModel(context.DepsDir);
        var (fileName, outPath) = OnnxFile.Write(proto, context.OutDir, Id);
        var source = new ModelSource
        {
            Package = PackageName,
            Version = PackageVersion,
            License = model.License,
            Upstream = model.Upstream,
            Format = SourceFormat,
            Files = [new SourceFile(model.PackagePath, FileHash.Sha256(Path.Combine(packageDir, model.PackagePath)))],
        };
        return model.Describe(fileName, FileHash.Sha256(outPath), source);
    }

    /// <summary>Batch dimension of the graph's inputs and outputs → symbolic "N"; Reshape targets [1, …] → [0, …].</summary>
    internal static void MakeBatchDynamic(GraphProto graph)
    {
        foreach (var value in graph.Input.Concat(graph.Output))
        {
            var dims = value.Type?.TensorType?.Shape?.Dim;
            if (dims is { Count: > 0 }) dims[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        }
        // Intermediate shapes recorded at export would contradict a batch other than 1.
        graph.ValueInfo.Clear();
        var reshapeTargets = graph.Node.Where(n => n.OpType == "Reshape" && n.Input.Count == 2).Select(n => n.Input[1]).ToHashSet();
        foreach (var init in graph.Initializer.Where(i => reshapeTargets.Contains(i.Name)))
        {
            if (init.DataType != (int)TensorProto.Types.DataType.Int64) continue;
            var values = init.RawData.Length > 0 ? init.RawData.ToByteArray() : null;
            if (values is { Length: >= 8 } && BitConverter.ToInt64(values, 0) == 1)
            {
                BitConverter.GetBytes(0L).CopyTo(values, 0);
                init.RawData = ByteString.CopyFrom(values);
            }
            else if (values is null && init.Int64Data.Count > 0 && init.Int64Data[0] == 1)
            {
                init.Int64Data[0] = 0;
            }
        }
    }

    private static void CheckPackageVersion(string packageDir)
    {
        var packageJson = Path.Combine(packageDir, "package.json");
        if (!File.Exists(packageJson))
            throw new ModelConversionException($"{PackageName} not found at {packageDir} (run `make deps`)");
        using var doc = JsonDocument.Parse(File.ReadAllText(packageJson));
        var name = doc.RootElement.TryGetProperty("name", out var n) ? n.GetString() : null;
        var version = doc.RootElement.TryGetProperty("version", out var v) ? v.GetString() : null;
        if (name != PackageName || version != PackageVersion)
            throw new ModelConversionException($"{packageDir} holds {name}@{version}, but the recipe is written for {PackageName}@{PackageVersion}");
    }
}
