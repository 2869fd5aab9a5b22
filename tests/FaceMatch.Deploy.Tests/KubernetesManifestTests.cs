using System.Reflection;
using System.Text.RegularExpressions;
using FaceMatch.Deploy.Tests.Support;
using FaceMatch.Models.Runtime;
using FaceMatch.Server.Admission;
using FaceMatch.Server.Composition;
using FaceMatch.Server.Hosting;
using FaceMatch.Server.Observability;
using FaceMatch.Server.Security;
using k8s.Models;

namespace FaceMatch.Deploy.Tests;

/// <summary>
/// deploy/kubernetes, built the way `kubectl apply -k` builds it (<see cref="KustomizeBuild"/>), against the server's
/// real configuration: its variable names, its own parser of their values, its defaults and its metrics. Each check
/// is about a way the manifests could drift from the code and deploy a pod that never turns ready, listens where
/// nothing points, or hands a secret out more widely than the server itself would.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private static readonly string[] LayoutNames = ["base", "overlays/cpu", "overlays/gpu"];
    public static TheoryData<string> Layouts => new(LayoutNames);

    [Theory, MemberData(nameof(Layouts))]
    public void EveryObjectLoadsAndThePartsAreThere(string layout)
    {
        var m = new Manifests(layout);
        Assert.NotNull(m.FaceMatch);
        Assert.NotNull(m.Store);
        Assert.NotNull(m.Named<V1Service>("facematch"));
        Assert.NotNull(m.Named<V1Service>("facematch-peers"));
        Assert.NotNull(m.Named<V1Service>("facematch-store"));
        Assert.NotNull(m.Named<V2HorizontalPodAutoscaler>("facematch"));
        Assert.Equal(2, m.All<V1PodDisruptionBudget>().Count());
        Assert.NotEmpty(m.Store.Spec.VolumeClaimTemplates);
    }

    [Fact]
    public void EveryManifestFileIsPartOfABuild()
    {
        var root = Path.Combine(global::FaceMatch.Tests.TestPaths.RepoRoot, "deploy", "kubernetes");
        var read = LayoutNames.SelectMany(l => KustomizeBuild.FilesRead(Path.Combine(root, l))).ToHashSet();
        var orphans = System.IO.Directory.EnumerateFiles(root, "*.y*ml", SearchOption.AllDirectories).Where(f => !read.Contains(f)).ToList();
        Assert.True(orphans.Count == 0, "not in any kustomization: " + string.Join(", ", orphans));
    }

    [Theory, MemberData(nameof(Layouts))]
    public void EveryFaceMatchVariableIsOneTheServerReads(string layout)
    {
        var m = new Manifests(layout);
        var unknown = m.Containers
            .SelectMany(c => (c.Container.Env ?? []).Select(e => (c.Owner, e.Name)))
            .Where(e => e.Name.StartsWith("FACEMATCH_", StringComparison.Ordinal) && !ServeConfiguration.AllVariables.Contains(e.Name))
            .Select(e => $"{e.Name} ({e.Owner})").Distinct().ToList();
        Assert.True(unknown.Count == 0, $"{layout}: variables facematch serve does not read: {string.Join(", ", unknown)}");
    }

    [Theory, MemberData(nameof(Layouts))]
    public async Task TheServerAcceptsItsEnvironment(string layout)
    {
        var m = new Manifests(layout);
        // The server's own loader, given the files the pod has at start: the init container's copies of the Secrets
        // (some settings read theirs at once, and check their modes). A value out of range or one that does not
        // parse fails here as it would fail the pod's start (exit 2).
        var pod = m.FaceMatch.Spec.Template.Spec;
        using var init = new PodSandbox(m, pod, pod.InitContainers.Single(), (_, key) => key == "master-key" ? Convert.ToBase64String(new byte[32]) : Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        init.Start(new Dictionary<string, string>());
        Assert.True(await init.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, init.Log);
        var environment = m.ServerEnvironment().ToDictionary(e => e.Key, e => init.Relocate(e.Value));
        var working = Directory.CreateTempSubdirectory("facematch-deploy-");
        try
        {
            var settings = ServeConfiguration.Load(Manifests.AsVariables(environment), environment[ServeConfiguration.DataVariable], "/unused/manifest.json", working.FullName);
            settings.Server.EnsureTransportIsSafe();
            Assert.True(settings.Server.IsTls, $"{layout}: the replicas serve cleartext");
        }
        finally { working.Delete(recursive: true); }
    }

    [Theory, MemberData(nameof(Layouts))]
    public void PortsAndProbesAreTheServers(string layout)
    {
        var m = new Manifests(layout);
        var settings = ServerSettings.FromVariables(Manifests.AsVariables(m.ServerEnvironment()));
        var expected = new Dictionary<string, int> { ["grpc"] = settings.Port, ["metrics"] = settings.MetricsPort };
        if (settings.HttpPort is { } http) expected["http"] = http;
        var ports = m.Server.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
        Assert.Equal(expected.OrderBy(p => p.Key), ports.OrderBy(p => p.Key));

        // The probes are `facematch health` in the container (ProbeCommandTests runs them): every one must be there.
        foreach (var (kind, probe) in new[] { ("startup", m.Server.StartupProbe), ("readiness", m.Server.ReadinessProbe), ("liveness", m.Server.LivenessProbe) })
            Assert.True(probe?.Exec?.Command is { Count: > 1 } command && command[1] == "health", $"{layout}: the {kind} probe is not `facematch health`");

        var annotations = m.FaceMatch.Spec.Template.Metadata.Annotations;
        Assert.Equal(settings.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
        Assert.Equal(settings.IsTls ? "https" : "http", annotations["prometheus.io/scheme"]);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void SelectorsMatchThePodsAndServicesReachTheirPorts(string layout)
    {
        var m = new Manifests(layout);
        foreach (var d in m.All<V1Deployment>())
            Assert.True(Manifests.Selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels), $"Deployment {d.Metadata.Name}'s selector misses its pods");
        foreach (var s in m.All<V1StatefulSet>())
        {
            Assert.True(Manifests.Selects(s.Spec.Selector.MatchLabels, s.Spec.Template.Metadata.Labels), $"StatefulSet {s.Metadata.Name}'s selector misses its pods");
            var governing = m.Named<V1Service>(s.Spec.ServiceName);
            Assert.Equal("None", governing.Spec.ClusterIP);
            Assert.True(Manifests.Selects(governing.Spec.Selector, s.Spec.Template.Metadata.Labels), $"Service {governing.Metadata.Name} does not select StatefulSet {s.Metadata.Name}");
        }

        foreach (var service in m.All<V1Service>())
        {
            var selected = m.PodTemplates.Where(t => Manifests.Selects(service.Spec.Selector, t.Template.Metadata.Labels)).ToList();
            Assert.True(selected.Count == 1, $"Service {service.Metadata.Name} selects {selected.Count} workloads");
            var containerPorts = selected[0].Template.Spec.Containers.SelectMany(c => c.Ports ?? []).ToList();
            foreach (var port in service.Spec.Ports)
            {
                var target = port.TargetPort?.Value ?? port.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(containerPorts.Any(p => p.Name == target || p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) == target),
                    $"Service {service.Metadata.Name} port {port.Name} targets {target}, which no container of {selected[0].Owner} has");
            }
        }

        foreach (var pdb in m.All<V1PodDisruptionBudget>())
            Assert.True(m.PodTemplates.Count(t => Manifests.Selects(pdb.Spec.Selector.MatchLabels, t.Template.Metadata.Labels)) == 1,
                $"PodDisruptionBudget {pdb.Metadata.Name} does not select exactly one workload");

        foreach (var policy in m.All<V1NetworkPolicy>())
        {
            Assert.True(m.PodTemplates.Any(t => Manifests.Selects(policy.Spec.PodSelector.MatchLabels, t.Template.Metadata.Labels)), $"NetworkPolicy {policy.Metadata.Name} protects nothing");
            foreach (var peer in policy.Spec.Ingress.SelectMany(i => i.FromProperty))
                Assert.True(m.PodTemplates.Any(t => Manifests.Selects(peer.PodSelector.MatchLabels, t.Template.Metadata.Labels)),
                    $"NetworkPolicy {policy.Metadata.Name} admits pods labelled {string.Join(",", peer.PodSelector.MatchLabels)}, which nothing here runs");
        }
        // The store admits the FaceMatch pods on its client port.
        var store = m.Named<V1NetworkPolicy>("facematch-store");
        Assert.Contains(store.Spec.Ingress, rule => rule.FromProperty.Any(p => Manifests.Selects(p.PodSelector.MatchLabels, m.FaceMatch.Spec.Template.Metadata.Labels))
            && rule.Ports.Any(p => p.Port.Value == StorePort(m).ToString(System.Globalization.CultureInfo.InvariantCulture)));

        var hpa = m.Named<V2HorizontalPodAutoscaler>("facematch");
        Assert.Equal(("apps/v1", "Deployment", "facematch"), (hpa.Spec.ScaleTargetRef.ApiVersion, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.Equal("facematch", m.FaceMatch.Spec.Template.Spec.ServiceAccountName);
        Assert.NotNull(m.Named<V1ServiceAccount>("facematch"));
    }

    [Theory, MemberData(nameof(Layouts))]
    public void PeersAndStoreAddressesPointAtThePods(string layout)
    {
        var m = new Manifests(layout);
        var env = m.ServerEnvironment();
        var settings = ServerSettings.FromVariables(Manifests.AsVariables(env));

        // Membership: the headless Service whose DNS name lists the replicas.
        var peerHost = env["FACEMATCH_PEER_SERVICE"];
        Assert.Matches($@"^[a-z0-9-]+\.{Manifests.SampleNamespace}\.svc(\.cluster\.local)?$", peerHost);
        var peers = m.Named<V1Service>(peerHost.Split('.')[0]);
        Assert.Equal("None", peers.Spec.ClusterIP);
        Assert.True(Manifests.Selects(peers.Spec.Selector, m.FaceMatch.Spec.Template.Metadata.Labels), "the peer Service does not list the FaceMatch pods");
        Assert.Equal("kubernetes", env["FACEMATCH_MEMBERSHIP"]);

        // Where the others reach this replica: its own pod IP, on the port it serves gRPC on.
        Assert.Equal($"{Manifests.SamplePodIp}:{settings.Port}", env["FACEMATCH_REPLICA_ADDRESS"]);

        // The store's seed nodes: every pod of the StatefulSet, by its stable name, on the port it listens on.
        Assert.Equal("cluster", env["FACEMATCH_STORE"]);
        var seeds = env["FACEMATCH_CLUSTER_ENDPOINTS"].Split(',');
        var expected = Enumerable.Range(0, m.Store.Spec.Replicas ?? 1).Select(i => $"{m.Store.Metadata.Name}-{i}.{m.Store.Spec.ServiceName}:{StorePort(m)}");
        Assert.Equal(expected, seeds);

        // Over TLS, checking the one name the store's shared certificate carries (the store Service's), never in
        // cleartext; the store listens for TLS only, on the port FaceMatch dials.
        // (The CA and password files are the init container's copies in the pod, TheServerAcceptsItsEnvironment's
        // business; here any CA file will do for the settings' own checks, and the password is left out.)
        var ca = Path.GetTempFileName();
        try
        {
            Assert.Contains(StoreConfiguration.CaCertVariable, env.Keys);
            var storeEnvironment = new Dictionary<string, string>(env) { [StoreConfiguration.CaCertVariable] = ca };
            storeEnvironment.Remove(StoreConfiguration.PasswordFileVariable);
            var store = StoreConfiguration.FromVariables(Manifests.AsVariables(storeEnvironment))!;
            Assert.True(store.UseTls && !store.AllowPlaintext, $"{layout}: FaceMatch reaches the store in cleartext");
            Assert.Equal($"{m.Store.Spec.ServiceName}.{Manifests.SampleNamespace}.svc", store.TlsName);
        }
        finally { File.Delete(ca); }
        var conf = m.Named<V1ConfigMap>("facematch-store-config").Data["redis.conf"].Split('\n').Select(l => l.Trim()).ToHashSet();
        Assert.Superset(new HashSet<string> { "port 0", $"tls-port {StorePort(m)}", "tls-cluster yes", "tls-replication yes" }, conf);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void SecretsReachTheServerAsPrivateFilesOnly(string layout)
    {
        var m = new Manifests(layout);
        foreach (var (owner, spec, container) in m.Containers)
        {
            Assert.True((container.Env ?? []).All(e => e.ValueFrom?.SecretKeyRef is null), $"{owner} takes a secret into its environment");
            Assert.True((container.EnvFrom ?? []).All(e => e.SecretRef is null), $"{owner} takes a secret into its environment");
            var secretVolumes = (spec.Volumes ?? []).Where(v => v.Secret is not null).ToDictionary(v => v.Name);
            foreach (var mount in (container.VolumeMounts ?? []).Where(v => secretVolumes.ContainsKey(v.Name)))
                Assert.True(mount.ReadOnlyProperty == true, $"{owner} mounts secret volume {mount.Name} writable");
        }
        foreach (var (owner, template) in m.PodTemplates)
            foreach (var volume in (template.Spec.Volumes ?? []).Where(v => v.Secret is not null))
                foreach (var mode in new[] { volume.Secret.DefaultMode }.Concat((volume.Secret.Items ?? []).Select(i => i.Mode)).OfType<int>())
                    Assert.True((mode & ~0b100_100_000) == 0, $"{owner}: secret volume {volume.Name} has mode {Convert.ToString(mode, 8)}, wider than 0440");

        // The server container sees no Secret volume: its init container copies the files into memory, owned by the
        // server's user and private, as the server wants its key files.
        var pod = m.FaceMatch.Spec.Template.Spec;
        var secretNames = pod.Volumes.Where(v => v.Secret is not null).Select(v => v.Name).ToHashSet();
        Assert.DoesNotContain(m.Server.VolumeMounts, v => secretNames.Contains(v.Name));
        var init = Assert.Single(pod.InitContainers);
        var script = string.Join("\n", init.Command.Concat(init.Args ?? []));
        foreach (Match install in InstallMode().Matches(script))
            Assert.True((Convert.ToInt32(install.Groups[1].Value, 8) & 0b000_111_111) == 0, $"{layout}: the init container writes with mode {install.Groups[1].Value}, open to group or others");
        var env = m.ServerEnvironment();
        var data = env[ServeConfiguration.DataVariable];
        var files = new[] { Path.Combine(data, FaceMatch.Vault.Crypto.MasterKeySource.FileName), AdminToken.PathIn(data) }
            .Concat(env.Where(e => e.Key.EndsWith("_FILE", StringComparison.Ordinal) || e.Key is ServerSettings.TlsCertVariable or ServerSettings.TlsKeyVariable).Select(e => e.Value))
            .ToList();
        var memory = pod.Volumes.Where(v => v.EmptyDir?.Medium == "Memory").Select(v => v.Name).ToHashSet();
        foreach (var file in files)
        {
            Assert.True(Regex.IsMatch(script, $@"install -m 0[46]00 \S+ {Regex.Escape(file)}(\s|$)"), $"{layout}: the init container does not write {file}, which the server reads");
            var mount = m.Server.VolumeMounts.Where(v => file.StartsWith(v.MountPath.TrimEnd('/') + "/", StringComparison.Ordinal)).MaxBy(v => v.MountPath.Length);
            Assert.True(mount is not null && memory.Contains(mount.Name), $"{layout}: {file} is not on an in-memory volume");
            Assert.Contains(init.VolumeMounts, v => v.Name == mount.Name && v.MountPath == mount.MountPath);
        }
        Assert.Contains(env, e => e.Key == "FACEMATCH_PEER_TOKEN_FILE");
        Assert.Contains(env, e => e.Key == "FACEMATCH_CLUSTER_PASSWORD_FILE");

        // FaceMatch and the store use one password: the same Secret and key on both sides. Of the store's TLS Secret,
        // FaceMatch gets the issuer only, never the nodes' key.
        static IEnumerable<string> SecretKeys(V1PodSpec p, string secret) =>
            p.Volumes.Where(v => v.Secret?.SecretName == secret).SelectMany(v => v.Secret.Items.Select(i => i.Key));
        Assert.Equal(SecretKeys(m.Store.Spec.Template.Spec, "facematch-store-auth"), SecretKeys(pod, "facematch-store-auth"));
        Assert.Equal(["tls.crt", "tls.key", "ca.crt"], SecretKeys(m.Store.Spec.Template.Spec, "facematch-store-tls"));
        Assert.Equal(["ca.crt"], SecretKeys(pod, "facematch-store-tls"));
        Assert.Equal(["ca.crt"], SecretKeys(m.Named<V1Job>("facematch-store-bootstrap").Spec.Template.Spec, "facematch-store-tls"));
    }

    [Theory, MemberData(nameof(Layouts))]
    public void ContainersRunAsTheImagesUserWithoutPrivilege(string layout)
    {
        var m = new Manifests(layout);
        var dockerfile = File.ReadAllText(Path.Combine(global::FaceMatch.Tests.TestPaths.RepoRoot, layout.EndsWith("gpu", StringComparison.Ordinal) ? "Dockerfile.gpu" : "Dockerfile"));
        var user = long.Parse(DockerUser().Match(dockerfile).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var exposed = DockerExpose().Match(dockerfile).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();

        var pod = m.FaceMatch.Spec.Template.Spec;
        Assert.Equal(user, pod.SecurityContext.RunAsUser);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.All(m.Server.Ports, p => Assert.Contains(p.ContainerPort, exposed));
        foreach (var (owner, template) in m.PodTemplates)
            Assert.True(template.Spec.SecurityContext?.RunAsNonRoot == true && template.Spec.AutomountServiceAccountToken == false, $"{owner} may run as root or carries an API token");
        foreach (var (owner, _, container) in m.Containers)
        {
            var sc = container.SecurityContext;
            Assert.True(sc is { AllowPrivilegeEscalation: false, ReadOnlyRootFilesystem: true } && sc.Capabilities?.Drop?.Contains("ALL") == true,
                $"{owner}: privilege escalation, a writable root file system or capabilities are left on");
        }
    }

    [Theory, MemberData(nameof(Layouts))]
    public void AStoppingReplicaHasTimeToDrain(string layout)
    {
        var m = new Manifests(layout);
        var settings = ServerSettings.FromVariables(Manifests.AsVariables(m.ServerEnvironment()));
        var preStop = m.Server.Lifecycle?.PreStop?.Sleep?.Seconds ?? 0;
        // The server drains for the shutdown timeout, then gives waiting sessions two seconds to send their result.
        var needed = preStop + settings.ShutdownTimeout.TotalSeconds + 2;
        Assert.True(m.FaceMatch.Spec.Template.Spec.TerminationGracePeriodSeconds > needed,
            $"{layout}: the kubelet kills a stopping replica after {m.FaceMatch.Spec.Template.Spec.TerminationGracePeriodSeconds} s, before its {needed} s of drain");
        // A rollout stops an old replica only once a new one is SERVING, so the shards always have owners.
        Assert.Equal("0", m.FaceMatch.Spec.Strategy.RollingUpdate.MaxUnavailable.Value);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void TheCpuLimitIsWhatTheServerSizesItselfBy(string layout)
    {
        // Analysis slots and the frame queue default to a number per core, and the runtime counts the CPU limit's
        // cores: a request without an equal limit would size them by the whole node.
        var resources = new Manifests(layout).Server.Resources;
        Assert.Equal(resources.Requests["cpu"], resources.Limits["cpu"]);
        Assert.Equal(resources.Requests["memory"], resources.Limits["memory"]);
    }

    [Theory, MemberData(nameof(Layouts))]
    public void TheAutoscalerScalesOnTheServersOwnMetrics(string layout)
    {
        var m = new Manifests(layout);
        var hpa = m.Named<V2HorizontalPodAutoscaler>("facematch");
        var served = typeof(ServerMetrics).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => f.GetValue(null)).OfType<Prometheus.Collector>().Select(c => c.Name).ToHashSet();
        var custom = hpa.Spec.Metrics.Where(x => x.Type == "Pods").Select(x => x.Pods.Metric.Name).ToList();
        Assert.NotEmpty(custom);
        Assert.All(custom, name => Assert.Contains(name, served));
        Assert.True(hpa.Spec.MinReplicas >= 2, $"{layout}: one replica is a single point of failure");

        // The autoscaler must add replicas before the server starts refusing new sessions: its queue target below
        // the congestion threshold, which defaults to a number per core (the cores being the CPU limit, see above).
        var env = Manifests.AsVariables(m.ServerEnvironment());
        var cores = (int)Math.Ceiling(m.Server.Resources.Limits["cpu"].ToDecimal());
        var perCore = new AdmissionOptions().CongestedQueuedFrames / Environment.ProcessorCount;
        var congested = env.ContainsKey(AdmissionOptions.CongestedFramesVariable) ? AdmissionOptions.FromVariables(env).CongestedQueuedFrames : perCore * cores;
        var queueTarget = hpa.Spec.Metrics.Single(x => x.Pods?.Metric.Name == "facematch_analysis_queue_depth").Pods.Target.AverageValue.ToDecimal();
        Assert.True(queueTarget < congested, $"{layout}: the autoscaler waits for {queueTarget} queued frames a pod, but the server refuses new sessions at {congested}");
        var pdb = m.Named<V1PodDisruptionBudget>("facematch");
        Assert.True(int.Parse(pdb.Spec.MaxUnavailable.Value, System.Globalization.CultureInfo.InvariantCulture) < hpa.Spec.MinReplicas,
            $"{layout}: a drain may take every replica at once");
    }

    [Fact]
    public void TheGpuOverlayRunsCudaOnAGpu()
    {
        var m = new Manifests("overlays/gpu");
        var env = m.ServerEnvironment();
        Assert.True(ExecutionDevice.Parse(env.GetValueOrDefault(ExecutionDevice.Variable)).IsCuda);
        Assert.True(int.Parse(m.Server.Resources.Limits["nvidia.com/gpu"].ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(":gpu", KustomizeBuild.TagOf(m.Server.Image));
        Assert.All(m.FaceMatch.Spec.Template.Spec.InitContainers, c => Assert.Equal(m.Server.Image, c.Image));
        Assert.Contains(m.FaceMatch.Spec.Template.Spec.Tolerations, t => t.Key == "nvidia.com/gpu");
        Assert.Contains("FACEMATCH_DEVICE=cuda", File.ReadAllText(Path.Combine(global::FaceMatch.Tests.TestPaths.RepoRoot, "Dockerfile.gpu")));
    }

    [Theory]
    [InlineData("base")]
    [InlineData("overlays/cpu")]
    public void TheCpuBuildsAskForNoGpu(string layout)
    {
        var m = new Manifests(layout);
        Assert.False(ExecutionDevice.Parse(m.ServerEnvironment().GetValueOrDefault(ExecutionDevice.Variable)).IsCuda);
        foreach (var (owner, _, container) in m.Containers)
            Assert.False((container.Resources?.Limits?.Keys ?? []).Concat(container.Resources?.Requests?.Keys ?? []).Any(k => k.Contains("gpu", StringComparison.Ordinal)),
                $"{owner} asks for a GPU");
        if (layout == "overlays/cpu")
        {
            Assert.Equal(":cpu", KustomizeBuild.TagOf(m.Server.Image));
            Assert.All(m.FaceMatch.Spec.Template.Spec.InitContainers, c => Assert.Equal(m.Server.Image, c.Image));
        }
    }

    private static int StorePort(Manifests m) =>
        m.Store.Spec.Template.Spec.Containers.SelectMany(c => c.Ports).Single(p => p.Name == "redis").ContainerPort;

    [GeneratedRegex(@"install(?:\s+-d)?\s+-m\s+([0-7]+)")]
    private static partial Regex InstallMode();

    [GeneratedRegex(@"^USER\s+(\d+)", RegexOptions.Multiline)]
    private static partial Regex DockerUser();

    [GeneratedRegex(@"^EXPOSE\s+([\d ]+)$", RegexOptions.Multiline)]
    private static partial Regex DockerExpose();
}
