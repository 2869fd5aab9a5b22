namespace FaceMatch.Deploy.Tests.Support;

/// <summary>
/// The part of a kustomization.yaml that deploy/kubernetes uses. Read strictly: a field this test does not apply
/// (namespace, commonLabels, generators, ...) fails the build instead of being silently skipped, so what the test
/// checks stays what `kubectl apply -k` would apply.
/// </summary>
public sealed class Kustomization
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public List<string> Resources { get; set; } = [];
    public List<KustomizeImage> Images { get; set; } = [];
    public List<KustomizePatch> Patches { get; set; } = [];
}

/// <summary>An `images:` entry: containers whose image is <see cref="Name"/> get the new name and tag.</summary>
public sealed class KustomizeImage
{
    public string Name { get; set; } = "";
    public string? NewName { get; set; }
    public string? NewTag { get; set; }
}

/// <summary>A `patches:` entry naming a strategic-merge patch file (its own apiVersion, kind and name say the target).</summary>
public sealed class KustomizePatch
{
    public string Path { get; set; } = "";
}
