using System.Text.Json.Nodes;

namespace FaceMatch.Deploy.Tests.Support;

/// <summary>
/// Kubernetes' strategic merge patch, for the fields the overlays patch: maps merge key by key, lists of named
/// things (containers, env, volumes, mounts, ports) merge item by item on their merge key, atomic lists and scalars
/// are replaced. A list whose strategy is not in the tables fails the patch: guessing would let the test and
/// kustomize disagree.
/// </summary>
public static class StrategicMerge
{
    /// <summary>List field → its patch merge key (the Kubernetes API's patchMergeKey for that field).</summary>
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["imagePullSecrets"] = "name",
    };

    /// <summary>List fields the API replaces whole (no patch strategy).</summary>
    private static readonly HashSet<string> AtomicLists = new(StringComparer.Ordinal) { "tolerations", "command", "args", "metrics" };

    public static void Apply(JsonObject target, JsonObject patch) => MergeObject(target, patch, "");

    private static void MergeObject(JsonObject target, JsonObject patch, string path)
    {
        foreach (var (key, value) in patch)
        {
            var here = path.Length == 0 ? key : path + "." + key;
            if (value is null) target.Remove(key);
            else if (value is JsonObject patchObject && target[key] is JsonObject targetObject) MergeObject(targetObject, patchObject, here);
            else if (value is JsonArray patchList && target[key] is JsonArray targetList) MergeList(targetList, patchList, key, here);
            else target[key] = value.DeepClone();
        }
    }

    private static void MergeList(JsonArray target, JsonArray patch, string key, string path)
    {
        var mergeKey = MergeKeys.GetValueOrDefault(key) ?? (key == "ports" ? PortsMergeKey(patch) : null);
        if (mergeKey is null)
        {
            if (!AtomicLists.Contains(key))
                throw new NotSupportedException($"{path}: this test does not know how a strategic merge patch merges '{key}'; add it to StrategicMerge's tables");
            target.Clear();
            foreach (var item in patch) target.Add(item?.DeepClone());
            return;
        }
        foreach (var item in patch)
        {
            var patchItem = item as JsonObject ?? throw new InvalidOperationException($"{path}: a keyed list holds a non-object");
            var id = patchItem[mergeKey]?.ToJsonString() ?? throw new InvalidOperationException($"{path}: an item has no '{mergeKey}'");
            var existing = target.OfType<JsonObject>().FirstOrDefault(t => t[mergeKey]?.ToJsonString() == id);
            if (existing is null) target.Add(patchItem.DeepClone());
            else MergeObject(existing, patchItem, $"{path}[{mergeKey}={id}]");
        }
    }

    /// <summary>Container ports merge on containerPort, Service ports on port.</summary>
    private static string PortsMergeKey(JsonArray patch) =>
        patch.OfType<JsonObject>().All(p => p.ContainsKey("containerPort")) ? "containerPort" : "port";
}
