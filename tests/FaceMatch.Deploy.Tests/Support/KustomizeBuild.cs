using System.Text.Json.Nodes;
using k8s;

namespace FaceMatch.Deploy.Tests.Support;

/// <summary>
/// What `kubectl apply -k DIR` would send, for the kustomize features deploy/kubernetes uses: resources (files and
/// kustomization directories), strategic-merge patches of named objects, and image name/tag rewrites. Every file is
/// read by KubernetesClient's YAML loader in strict mode (an unknown or misspelt field fails), and so is the result.
/// </summary>
public static class KustomizeBuild
{
    public const string FileName = "kustomization.yaml";

    /// <summary>The objects the kustomization in <paramref name="directory"/> produces, typed (V1Deployment, ...).</summary>
    public static IReadOnlyList<object> Build(string directory)
    {
        var built = BuildNodes(Path.GetFullPath(directory), new HashSet<string>());
        var documents = string.Join("\n---\n", built.Select(o => o.ToJsonString()));   // JSON is YAML
        return KubernetesYaml.LoadAllFromString(documents, typeMap: null, strict: true);
    }

    /// <summary>Every file a kustomization in or under <paramref name="directory"/> reads (resources and patches).</summary>
    public static ISet<string> FilesRead(string directory)
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        BuildNodes(Path.GetFullPath(directory), files);
        return files;
    }

    private static List<JsonObject> BuildNodes(string directory, ISet<string> filesRead)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"no {FileName} in {directory}", path);
        filesRead.Add(path);
        var kustomization = KubernetesYaml.Deserialize<Kustomization>(File.ReadAllText(path), strict: true);
        if (kustomization is not { ApiVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization" })
            throw new InvalidDataException($"{path} is not a kustomize.config.k8s.io/v1beta1 Kustomization");

        var objects = new List<JsonObject>();
        foreach (var resource in kustomization.Resources)
        {
            var full = Path.GetFullPath(Path.Combine(directory, resource));
            if (Directory.Exists(full)) objects.AddRange(BuildNodes(full, filesRead));
            else if (File.Exists(full)) { filesRead.Add(full); objects.AddRange(LoadFile(full)); }
            else throw new FileNotFoundException($"{path}: resource '{resource}' does not exist", full);
        }
        var duplicate = objects.GroupBy(Identity).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{path}: {duplicate.Key} is defined twice");

        foreach (var patch in kustomization.Patches)
        {
            var full = Path.GetFullPath(Path.Combine(directory, patch.Path));
            filesRead.Add(full);
            foreach (var patchObject in LoadFile(full))
            {
                var targets = objects.Where(o => Identity(o) == Identity(patchObject)).ToList();
                if (targets.Count != 1) throw new InvalidDataException($"{full}: {Identity(patchObject)} matches {targets.Count} objects, not one");
                StrategicMerge.Apply(targets[0], patchObject);
            }
        }
        foreach (var image in kustomization.Images)
            foreach (var o in objects) RewriteImages(o, image);
        return objects;
    }

    /// <summary>One file's objects, through the typed loader (strict), as JSON trees for patching.</summary>
    private static IEnumerable<JsonObject> LoadFile(string path) =>
        KubernetesYaml.LoadAllFromString(File.ReadAllText(path), typeMap: null, strict: true)
            .Select(o => JsonNode.Parse(KubernetesJson.Serialize(o))!.AsObject());

    /// <summary>apiVersion, kind and name: what kustomize matches a patch to its target by.</summary>
    private static string Identity(JsonObject o) =>
        $"{o["apiVersion"]}/{o["kind"]} {o["metadata"]?["name"]}";

    /// <summary>Every container and init container, wherever its pod spec sits, whose image is the entry's name.</summary>
    private static void RewriteImages(JsonNode? node, KustomizeImage image)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (key is "containers" or "initContainers" && value is JsonArray containers)
                        foreach (var container in containers.OfType<JsonObject>())
                            if (container["image"]?.GetValue<string>() is { } current && ImageName(current) == image.Name)
                                container["image"] = (image.NewName ?? image.Name) + (image.NewTag is null ? TagOf(current) : ":" + image.NewTag);
                    RewriteImages(value, image);
                }
                break;
            case JsonArray a:
                foreach (var item in a) RewriteImages(item, image);
                break;
        }
    }

    /// <summary>The image reference without its tag or digest (a registry's port is not a tag).</summary>
    public static string ImageName(string reference)
    {
        var at = reference.IndexOf('@');
        if (at >= 0) reference = reference[..at];
        var colon = reference.LastIndexOf(':');
        return colon > reference.LastIndexOf('/') ? reference[..colon] : reference;
    }

    /// <summary>":tag" of the reference, or "" when it has none.</summary>
    public static string TagOf(string reference)
    {
        var name = ImageName(reference);
        return reference.Length > name.Length && reference[name.Length] == ':' ? reference[name.Length..] : "";
    }
}
