using System.Text.Json;
using FaceMatch.Models.Manifest;
using Google.Protobuf;

namespace FaceMatch.Models.Conversion.Tfjs;

/// <summary>One output of a converted model: the TensorFlow tensor, its ONNX name and what it means.</summary>
public sealed record TfjsOutputSpec(string Tensor, string Name, string Meaning);

/// <summary>What to convert from which package, and how the result is fed and read.</summary>
public sealed record TfjsModelSpec
{
    public required string Id { get; init; }
    public required ModelRole Role { get; init; }
    public bool Default { get; init; }
    /// <summary>Folder under the deps directory (.deps/&lt;dir&gt;/package/...).</summary>
    public required string DepsFolder { get; init; }
    /// <summary>npm package name expected in that folder's package.json.</summary>
    public required string Package { get; init; }
    /// <summary>model.json path inside the package.</summary>
    public required string ModelJson { get; init; }
    public string? Upstream { get; init; }
    public string InputName { get; init; } = "input";
    public string ColorOrder { get; init; } = "RGB";
    public required float[] Mean { get; init; }
    public required float[] Scale { get; init; }
    public required IReadOnlyList<TfjsOutputSpec> Outputs { get; init; }
    /// <summary>Human-readable facts about the input (value range, crop), for the manifest.</summary>
    public string? InputNotes { get; init; }
}

/// <summary>Converts one TensorFlow.js graph model from an unpacked npm package into models/&lt;id&gt;.onnx.</summary>
public sealed class TfjsModelRecipe(TfjsModelSpec spec) : IModelRecipe
{
    public const string Format = "tfjs-graph";

    public TfjsModelSpec Spec { get; } = spec;
    public string Id => Spec.Id;

    public string PackageRoot(ConversionContext context) => Path.Combine(context.DepsDir, Spec.DepsFolder, "package");
    public string ModelJsonPath(ConversionContext context) => Path.Combine(PackageRoot(context), Spec.ModelJson);

    public ModelEntry Convert(ConversionContext context)
    {
        var root = PackageRoot(context);
        var (packageName, version, license) = ReadPackageJson(Path.Combine(root, "package.json"));
        if (packageName != Spec.Package)
            throw new TfjsFormatException($"{root}: expected package {Spec.Package}, found {packageName}");

        var model = TfjsGraphModel.Load(ModelJsonPath(context));
        var onnx = TfjsToOnnxConverter.Convert(model, new TfjsConversionOptions
        {
            GraphName = Spec.Id,
            InputName = Spec.InputName,
            Outputs = Spec.Outputs.Select(o => new TfjsOutputBinding(o.Tensor, o.Name)).ToList(),
            DocString = $"{Spec.Id}: converted from {Spec.Package}@{version} {Spec.ModelJson} by {TfjsToOnnxConverter.Producer}",
        });

        var fileName = Spec.Id + ".onnx";
        var target = Path.Combine(context.OutDir, fileName);
        WriteAtomically(target, onnx.ToByteArray());

        var input = onnx.Graph.Input.Single();
        return new ModelEntry
        {
            Id = Spec.Id,
            Role = Spec.Role,
            File = fileName,
            Default = Spec.Default,
            Sha256 = FileHash.Sha256(target),
            Source = new ModelSource
            {
                Package = packageName,
                Version = version,
                License = license,
                Upstream = Spec.Upstream ?? model.GeneratedBy,
                Format = Format,
                Files = model.Files.Select(f => new SourceFile(Path.GetRelativePath(root, f).Replace('\\', '/'), FileHash.Sha256(f))).ToList(),
            },
            Input = new ModelInput
            {
                Name = input.Name,
                Shape = OnnxShape(input.Type.TensorType.Shape),
                Layout = "NHWC",
                ColorOrder = Spec.ColorOrder,
                Mean = Spec.Mean,
                Scale = Spec.Scale,
                Notes = Spec.InputNotes,
            },
            Outputs = Spec.Outputs.Select(o => new ModelOutput
            {
                Name = o.Name,
                Shape = OnnxShape(onnx.Graph.Output.Single(g => g.Name == o.Name).Type.TensorType.Shape),
                Meaning = o.Meaning,
            }).ToList(),
        };
    }

    private static int[] OnnxShape(global::Onnx.TensorShapeProto shape) =>
        shape.Dim.Select(d => d.ValueCase == global::Onnx.TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? (int)d.DimValue : -1).ToArray();

    private static (string Name, string Version, string? License) ReadPackageJson(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path} not found: run `make deps` (or pass --deps pointing at the unpacked packages)", path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        return (root.GetProperty("name").GetString()!, root.GetProperty("version").GetString()!,
            root.TryGetProperty("license", out var l) ? l.GetString() : null);
    }

    internal static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
