using System.Collections;
using System.Text.RegularExpressions;
using k8s.Models;

namespace FaceMatch.Deploy.Tests.Support;

/// <summary>One build of deploy/kubernetes (the base or an overlay), with the look-ups the tests share.</summary>
public sealed partial class Manifests
{
    /// <summary>What the downward API gives the pod at run time, for expanding $(VAR) references in the tests.</summary>
    public const string SamplePodIp = "10.20.30.40";
    public const string SampleNamespace = "facematch-test";

    public Manifests(string layout)
    {
        Layout = layout;
        Directory = Path.Combine(global::FaceMatch.Tests.TestPaths.RepoRoot, "deploy", "kubernetes", layout);
        Objects = KustomizeBuild.Build(Directory);
    }

    public string Layout { get; }
    public string Directory { get; }
    public IReadOnlyList<object> Objects { get; }

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Named<T>(string name) where T : IMetadata<V1ObjectMeta> =>
        All<T>().SingleOrDefault(o => o.Metadata.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"{Layout}: no {typeof(T).Name} named {name}");

    public V1Deployment FaceMatch => Named<V1Deployment>("facematch");
    public V1StatefulSet Store => Named<V1StatefulSet>("facematch-store");
    public V1Container Server => FaceMatch.Spec.Template.Spec.Containers.Single(c => c.Name == "facematch");

    /// <summary>Every pod template with the object that owns it.</summary>
    public IEnumerable<(string Owner, V1PodTemplateSpec Template)> PodTemplates =>
        All<V1Deployment>().Select(d => ($"Deployment {d.Metadata.Name}", d.Spec.Template))
            .Concat(All<V1StatefulSet>().Select(s => ($"StatefulSet {s.Metadata.Name}", s.Spec.Template)))
            .Concat(All<V1Job>().Select(j => ($"Job {j.Metadata.Name}", j.Spec.Template)));

    /// <summary>Every container and init container of every pod template.</summary>
    public IEnumerable<(string Owner, V1PodSpec Pod, V1Container Container)> Containers =>
        PodTemplates.SelectMany(t => (t.Template.Spec.InitContainers ?? []).Concat(t.Template.Spec.Containers)
            .Select(c => ($"{t.Owner} container {c.Name}", t.Template.Spec, c)));

    /// <summary>
    /// The server container's environment as the process would see it: literal values, $(VAR) references to earlier
    /// variables expanded the way the kubelet does, downward-API fields as sample values. Secrets never come here
    /// (a test checks that none is referenced).
    /// </summary>
    public Dictionary<string, string> ServerEnvironment()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in Server.Env ?? [])
        {
            var value = variable.Value ?? variable.ValueFrom?.FieldRef?.FieldPath switch
            {
                "status.podIP" => SamplePodIp,
                "metadata.namespace" => SampleNamespace,
                var other => throw new Xunit.Sdk.XunitException($"{Layout}: {variable.Name} comes from {other ?? "something"} the tests do not model"),
            };
            values[variable.Name] = Reference().Replace(value, m => values.GetValueOrDefault(m.Groups[1].Value, m.Value));
        }
        return values;
    }

    public static Hashtable AsVariables(IDictionary<string, string> environment) => new((IDictionary)environment.ToDictionary(e => e.Key, e => (object)e.Value));

    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string>? labels) =>
        selector is { Count: > 0 } && labels is not null && selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();
}
