using System.Text.Json;
using System.Text.Json.Serialization;

namespace FaceMatch.Models.Manifest;

/// <summary>
/// The list of models the server loads (models/manifest.json). `make` writes it for the
/// converted models; operators may add or replace entries to bring their own ONNX files.
/// </summary>
public sealed record ModelManifest
{
    public int Version { get; init; } = 1;
    public List<ModelEntry> Models { get; init; } = [];

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // A file for people to read and edit: keep '+', '<' and non-ASCII text as written.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary>Reads a manifest; relative model paths resolve against the manifest's folder.</summary>
    public static ModelManifest Load(string path)
    {
        if (!File.Exists(path))
            throw new ModelManifestException($"model manifest not found: {path} (run `make models`, or set FACEMATCH_MODELS)");
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new ModelManifestException($"model manifest {path} is not valid: {e.Message}");
        }
        if (manifest is null || manifest.Version != 1)
            throw new ModelManifestException($"model manifest {path}: unsupported version");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var seen = new HashSet<string>();
        foreach (var m in manifest.Models)
        {
            if (string.IsNullOrWhiteSpace(m.Id) || string.IsNullOrWhiteSpace(m.File))
                throw new ModelManifestException($"model manifest {path}: every model needs an id and a file");
            if (!seen.Add(m.Id))
                throw new ModelManifestException($"model manifest {path}: duplicate model id '{m.Id}'");
            if (Problem(m) is { } problem)
                throw new ModelManifestException($"model manifest {path}: model '{m.Id}': {problem}");
            m.ResolvedPath = Path.IsPathRooted(m.File) ? m.File : Path.Combine(dir, m.File);
        }
        return manifest;
    }

    /// <summary>What makes an entry unusable by the pipeline, or null when it is fine.</summary>
    private static string? Problem(ModelEntry m)
    {
        var input = m.Input;
        if (input is null || string.IsNullOrWhiteSpace(input.Name)) return "input.name is required";
        if (input.Layout is not ("NHWC" or "NCHW")) return $"input.layout must be NHWC or NCHW, not '{input.Layout}'";
        if (input.ColorOrder is not ("RGB" or "BGR")) return $"input.colorOrder must be RGB or BGR, not '{input.ColorOrder}'";
        if (input.Shape is not { Length: 4 }) return "input.shape must have 4 dimensions (batch first, -1 when dynamic)";
        var channels = input.Layout == "NHWC" ? input.Shape[3] : input.Shape[1];
        if (channels != 3) return $"input.shape has {channels} channels where the {input.Layout} layout puts them; 3 are needed";
        if (input.Shape.Any(d => d == 0 || d < -1)) return "input.shape dimensions must be positive, or -1 where dynamic";
        if (input.Mean is not { Length: 3 } || input.Scale is not { Length: 3 }) return "input.mean and input.scale need one value per channel (3)";
        if (input.Scale.Any(v => v == 0 || !float.IsFinite(v)) || input.Mean.Any(v => !float.IsFinite(v))) return "input.scale must be finite and non-zero, input.mean finite";
        if (m.Outputs is null || m.Outputs.Any(o => string.IsNullOrWhiteSpace(o.Name))) return "every output needs a name";
        if (m.Threshold is { } t && (!float.IsFinite(t.Value) || string.IsNullOrWhiteSpace(t.Method))) return "threshold needs a finite value and its method";
        if (input.Crop is { } crop && (!float.IsFinite(crop.Scale) || crop.Scale <= 0 || crop.Shape is not ("square" or "box")))
            return "input.crop needs a positive scale and a shape of square or box";
        if (m.Outputs.Any(o => o.Activation is not (null or "softmax"))) return "an output's activation may only be softmax (or absent)";
        return null;
    }

    public void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions) + "\n");

    /// <summary>
    /// A copy in which model <paramref name="id"/> is the default of its role (the others of that role not), or, with a
    /// null id, no model of <paramref name="role"/> is default (the landmark stage is then off).
    /// </summary>
    public ModelManifest WithDefault(ModelRole role, string? id)
    {
        if (id is not null && !Models.Any(m => m.Id == id && m.Role == role))
            throw new ModelManifestException($"the model manifest has no {role.ToString().ToLowerInvariant()} '{id}' "
                + $"(it has: {string.Join(", ", Models.Where(m => m.Role == role).Select(m => m.Id))})");
        return this with { Models = Models.Select(m => m.Role != role ? m : m with { Default = m.Id == id }).ToList() };
    }

    public ModelEntry? ForRole(ModelRole role) => Models.FirstOrDefault(m => m.Role == role && m.Default)
        ?? Models.FirstOrDefault(m => m.Role == role);

    /// <summary>The model of <paramref name="role"/> marked default, or null: for stages that run only when one is chosen.</summary>
    public ModelEntry? DefaultFor(ModelRole role) => Models.FirstOrDefault(m => m.Role == role && m.Default);

    /// <summary>The passive liveness roles: a frame is scored by the default model of each (their mean).</summary>
    public static readonly ModelRole[] PassiveRoles = [ModelRole.Antispoof, ModelRole.Liveness];

    /// <summary>
    /// A copy in which the passive liveness models named in <paramref name="ids"/> (antispoof or liveness role) are the
    /// default ones and no other passive model is: one per role at most.
    /// </summary>
    public ModelManifest WithPassive(IReadOnlyCollection<string> ids)
    {
        foreach (var id in ids)
            if (!Models.Any(m => m.Id == id && PassiveRoles.Contains(m.Role)))
                throw new ModelManifestException($"the model manifest has no passive liveness model '{id}' "
                    + $"(it has: {string.Join(", ", Models.Where(m => PassiveRoles.Contains(m.Role)).Select(m => m.Id))})");
        var roles = Models.Where(m => ids.Contains(m.Id)).GroupBy(m => m.Role).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (roles.Count > 0) throw new ModelManifestException($"one passive model per role: {string.Join(", ", ids)} name two of role {roles[0].ToString().ToLowerInvariant()}");
        return this with { Models = Models.Select(m => PassiveRoles.Contains(m.Role) ? m with { Default = ids.Contains(m.Id) } : m).ToList() };
    }
}

/// <summary>
/// What a model does in the pipeline. Mesh: dense face landmarks (FaceMesh's 468) that the session's liveness cues read;
/// antispoof and liveness: passive (one-frame) liveness models, scored on each face.
/// </summary>
public enum ModelRole { Detector, Landmarks, Embedder, Antispoof, Liveness, Mesh }

/// <summary>One model: where it came from, its file, and how to feed it and read it.</summary>
public sealed record ModelEntry
{
    public required string Id { get; init; }
    public required ModelRole Role { get; init; }
    /// <summary>ONNX file, relative to the manifest or absolute.</summary>
    public required string File { get; init; }
    /// <summary>Among several models of one role, the one the pipeline uses.</summary>
    public bool Default { get; init; }
    public string? Sha256 { get; init; }
    public ModelSource? Source { get; init; }
    public required ModelInput Input { get; init; }
    public List<ModelOutput> Outputs { get; init; } = [];
    /// <summary>
    /// The decision threshold measured for this model: an embedder's match threshold (cosine similarity), a
    /// detector's minimum face score. Environment variables and a tenant's policy override it.
    /// </summary>
    public ModelThreshold? Threshold { get; init; }

    [JsonIgnore] public string ResolvedPath { get; internal set; } = "";
}

public sealed record ModelSource
{
    public required string Package { get; init; }
    public required string Version { get; init; }
    public string? License { get; init; }
    /// <summary>Where the network itself comes from (its original authors), when the package repackages it.</summary>
    public string? Upstream { get; init; }
    /// <summary>tfjs-graph, faceapi-weights, onnx-package (a published ONNX file, batch made dynamic) or onnx (an operator's own).</summary>
    public required string Format { get; init; }
    public List<SourceFile> Files { get; init; } = [];
}

/// <summary>A threshold and how it was chosen (so an operator can judge whether it fits their data).</summary>
public sealed record ModelThreshold
{
    public required float Value { get; init; }
    public required string Method { get; init; }
}

public sealed record SourceFile(string Path, string Sha256);

public sealed record ModelInput
{
    public required string Name { get; init; }
    /// <summary>Shape with -1 for a dynamic dimension: the batch, or height/width for a model that takes any size.</summary>
    public required int[] Shape { get; init; }
    /// <summary>NHWC or NCHW.</summary>
    public required string Layout { get; init; }
    /// <summary>RGB or BGR.</summary>
    public string ColorOrder { get; init; } = "RGB";
    /// <summary>Pixel value fed = (channel value 0..255 - Mean[c]) * Scale[c].</summary>
    public float[] Mean { get; init; } = [0, 0, 0];
    public float[] Scale { get; init; } = [1, 1, 1];
    /// <summary>Free text: value range, expected crop or alignment.</summary>
    public string? Notes { get; init; }
    /// <summary>How a per-face model's crop is cut around the detector box (passive liveness models); absent: the pipeline's default.</summary>
    public ModelCrop? Crop { get; init; }
}

/// <summary>The region of the frame a per-face model sees, relative to the detector's box.</summary>
public sealed record ModelCrop
{
    /// <summary>The crop's side(s) as a multiple of the box's.</summary>
    public required float Scale { get; init; }
    /// <summary>
    /// "square": a square of the box's longer side × scale, centred on the box; "box": the box's own width and height ×
    /// scale, stretched to the input.
    /// </summary>
    public string Shape { get; init; } = "square";
    /// <summary>
    /// Keep the crop inside the frame: the scale shrinks until the crop fits, then the crop shifts inward, as the
    /// model's training code cut it (instead of padding beyond the frame's edge).
    /// </summary>
    public bool Clamp { get; init; }
}

public sealed record ModelOutput
{
    public required string Name { get; init; }
    public required int[] Shape { get; init; }
    public string? Meaning { get; init; }
    /// <summary>"softmax": the values are logits, to be turned into probabilities first; absent: read as they are.</summary>
    public string? Activation { get; init; }
}

public sealed class ModelManifestException(string message) : Exception(message);
