using FaceMatch.Models.Manifest;
using Microsoft.ML.OnnxRuntime;

namespace FaceMatch.Models.Conversion;

/// <summary>A recipe failed, the output does not load, or the existing manifest conflicts with the run.</summary>
public sealed class ModelConversionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs the recipes, checks every produced file loads in ONNX Runtime with the declared input and
/// outputs, and rewrites manifest.json: converted entries first, then the operator's own entries
/// (bring-your-own ONNX models) carried over unchanged from the previous manifest.
/// </summary>
public static class ModelConversionRun
{
    public const string ManifestFileName = "manifest.json";

    public static ModelManifest Run(IReadOnlyList<IModelRecipe> recipes, ConversionContext context, Action<string>? log = null)
    {
        log ??= _ => { };
        if (!Directory.Exists(context.DepsDir))
            throw new ModelConversionException($"deps folder {context.DepsDir} does not exist (run `make deps`)");
        Directory.CreateDirectory(context.OutDir);
        var manifestPath = Path.Combine(context.OutDir, ManifestFileName);
        var previous = File.Exists(manifestPath) ? LoadPrevious(manifestPath) : new ModelManifest();

        var recipeIds = recipes.Select(r => r.Id).ToHashSet();
        var kept = previous.Models.Where(IsOperatorEntry).ToList();
        foreach (var entry in kept.Where(e => recipeIds.Contains(e.Id)))
            throw new ModelConversionException(
                $"{manifestPath}: your entry '{entry.Id}' has the id of a model this command converts; rename it so its file is not overwritten");
        foreach (var dropped in previous.Models.Where(e => !IsOperatorEntry(e) && !recipeIds.Contains(e.Id)))
            log($"dropping '{dropped.Id}': converted earlier, no recipe produces it any more");

        var converted = new List<ModelEntry>();
        foreach (var recipe in recipes)
        {
            var started = DateTime.UtcNow;
            ModelEntry entry;
            try
            {
                entry = recipe.Convert(context);
            }
            catch (Exception e) when (e is not ModelConversionException)
            {
                throw new ModelConversionException($"converting '{recipe.Id}' failed: {e.Message}", e);
            }
            Verify(entry, Path.Combine(context.OutDir, entry.File));
            log($"{entry.Id}: {entry.File} ({entry.Role}) in {(DateTime.UtcNow - started).TotalSeconds:F1} s");
            converted.Add(entry);
        }

        // An operator's default for a role wins over the converted default.
        var operatorDefaults = kept.Where(e => e.Default).Select(e => e.Role).ToHashSet();
        converted = converted.Select(e => e.Default && operatorDefaults.Contains(e.Role) ? e with { Default = false } : e).ToList();
        foreach (var e in kept) log($"{e.Id}: kept your entry ({e.Role}, {e.File})");

        var manifest = new ModelManifest { Models = [.. converted, .. kept] };
        var temp = manifestPath + ".tmp";
        manifest.Save(temp);
        File.Move(temp, manifestPath, overwrite: true);
        return manifest;
    }

    /// <summary>Entries no recipe produces: the operator's own ONNX models.</summary>
    public static bool IsOperatorEntry(ModelEntry e) => e.Source is null || e.Source.Format == "onnx";

    private static ModelManifest LoadPrevious(string path)
    {
        try
        {
            return ModelManifest.Load(path);
        }
        catch (ModelManifestException e)
        {
            throw new ModelConversionException($"{e.Message}; fix or remove it (its hand-written entries would otherwise be lost)", e);
        }
    }

    /// <summary>Loads the file in ONNX Runtime and checks the names and ranks the manifest promises.</summary>
    public static void Verify(ModelEntry entry, string path)
    {
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
            using var session = new InferenceSession(path, options);
            if (!session.InputMetadata.TryGetValue(entry.Input.Name, out var input) || input.Dimensions.Length != entry.Input.Shape.Length)
                throw new ModelConversionException($"{entry.Id}: {path} has no input '{entry.Input.Name}' of rank {entry.Input.Shape.Length}");
            foreach (var output in entry.Outputs)
                if (!session.OutputMetadata.TryGetValue(output.Name, out var meta) || meta.Dimensions.Length != output.Shape.Length)
                    throw new ModelConversionException($"{entry.Id}: {path} has no output '{output.Name}' of rank {output.Shape.Length}");
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelConversionException($"{entry.Id}: ONNX Runtime cannot load {path}: {e.Message}", e);
        }
    }
}
