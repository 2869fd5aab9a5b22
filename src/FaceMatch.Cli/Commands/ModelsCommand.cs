using System.CommandLine;
using FaceMatch.Models.Conversion;
using FaceMatch.Models.Manifest;

namespace FaceMatch.Cli.Commands;

/// <summary>`facematch models convert|list`: build the ONNX models from the pinned packages, and show the manifest.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "Convert the pinned face models to ONNX, or list the model manifest.");
        command.Subcommands.Add(Convert());
        command.Subcommands.Add(List());
        return command;
    }

    private static Command Convert()
    {
        var deps = new Option<string>("--deps") { Description = "Folder holding the unpacked npm packages (.deps)", DefaultValueFactory = _ => ".deps" };
        var output = new Option<string>("--out") { Description = "Folder for the .onnx files and manifest.json", DefaultValueFactory = _ => "models" };
        var command = new Command("convert", "Convert every model recipe into <out>/<id>.onnx and rewrite <out>/manifest.json (keeping hand-added ONNX entries).")
        {
            deps, output,
        };
        command.SetAction(parseResult =>
        {
            var context = new ConversionContext(Path.GetFullPath(parseResult.GetValue(deps)!), Path.GetFullPath(parseResult.GetValue(output)!));
            try
            {
                var manifest = ModelConversionRun.Run(ModelRecipes.All, context, line => Console.WriteLine($"  {line}"));
                Console.WriteLine($"facematch: wrote {manifest.Models.Count} models to {Path.Combine(context.OutDir, ModelConversionRun.ManifestFileName)}");
                return 0;
            }
            catch (Exception e) when (e is ModelConversionException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"facematch models convert: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command List()
    {
        var manifestOption = new Option<string?>("--manifest") { Description = "manifest.json to read (default: FACEMATCH_MODELS or ./models/manifest.json)" };
        var command = new Command("list", "Print the models in the manifest: role, file, input conventions and outputs.") { manifestOption };
        command.SetAction(parseResult =>
        {
            var path = parseResult.GetValue(manifestOption) ?? CliPaths.ManifestPath();
            ModelManifest manifest;
            try
            {
                manifest = ModelManifest.Load(path);
            }
            catch (ModelManifestException e)
            {
                Console.Error.WriteLine($"facematch models list: {e.Message}");
                return 1;
            }
            Console.WriteLine($"{path}: {manifest.Models.Count} models");
            foreach (var m in manifest.Models)
            {
                var source = m.Source is { } s ? $"{s.Package}@{s.Version} ({s.Format}{(s.License is { } l ? ", " + l : "")})" : "operator-provided";
                Console.WriteLine($"{m.Id}  role={m.Role.ToString().ToLowerInvariant()}{(m.Default ? " (default)" : "")}  file={m.File}  source={source}");
                var i = m.Input;
                Console.WriteLine($"  in  {i.Name} {FormatShape(i.Shape)} {i.Layout} {i.ColorOrder} mean=[{string.Join(",", i.Mean)}] scale=[{string.Join(",", i.Scale.Select(v => v.ToString("G6")))}]"
                    + (i.Crop is { } crop ? $" crop={crop.Shape} x{crop.Scale:G4}{(crop.Clamp ? " clamped" : "")}" : ""));
                foreach (var o in m.Outputs)
                    Console.WriteLine($"  out {o.Name} {FormatShape(o.Shape)}{(o.Activation is { } a ? " (" + a + ")" : "")}{(o.Meaning is { } meaning ? ": " + meaning : "")}");
                if (m.Source?.Upstream is { } upstream) Console.WriteLine($"  upstream {upstream}");
                if (m.Threshold is { } t) Console.WriteLine($"  threshold {t.Value:G6}: {t.Method}");
                if (!File.Exists(m.ResolvedPath)) Console.WriteLine($"  MISSING FILE {m.ResolvedPath}");
            }
            return 0;
        });
        return command;
    }

    private static string FormatShape(int[] shape) => "[" + string.Join(",", shape.Select(d => d < 0 ? "N" : d.ToString())) + "]";
}
