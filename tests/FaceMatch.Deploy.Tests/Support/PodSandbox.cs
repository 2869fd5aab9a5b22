using System.Diagnostics;
using System.Text;
using k8s.Models;

namespace FaceMatch.Deploy.Tests.Support;

/// <summary>
/// One container of a pod template run on this machine as the kubelet would run it: each volume mount becomes a
/// folder of a temporary directory holding what the volume holds (ConfigMap files, Secret items with test values,
/// empty for the rest), the container's command runs with every mount path in its arguments moved there, and the
/// process and folder go away on disposal.
/// </summary>
public sealed class PodSandbox : IDisposable
{
    private readonly DirectoryInfo _root;
    private readonly Dictionary<string, string> _paths;   // mount path → its folder here
    private readonly StringBuilder _log = new();
    private Process? _process;

    /// <param name="secretValue">the content of a Secret's item (the Secret's name, the item's key).</param>
    /// <param name="editFile">changes a ConfigMap file before it is written (its name, its text).</param>
    public PodSandbox(Manifests manifests, V1PodSpec pod, V1Container container, Func<string, string, string> secretValue, Func<string, string, string>? editFile = null)
    {
        Container = container;
        _root = Directory.CreateTempSubdirectory("facematch-pod-");
        try
        {
            _paths = container.VolumeMounts.ToDictionary(m => m.MountPath, m => Directory.CreateDirectory(Path.Combine(_root.FullName, m.Name)).FullName);
            var volumes = (pod.Volumes ?? []).ToDictionary(v => v.Name);
            // A claim template's volume is not among the pod's volumes: it starts empty, as a new claim does.
            foreach (var mount in container.VolumeMounts.Where(m => volumes.ContainsKey(m.Name)))
            {
                var volume = volumes[mount.Name];
                if (volume.ConfigMap is not null)
                    foreach (var (file, text) in manifests.Named<V1ConfigMap>(volume.ConfigMap.Name).Data)
                        File.WriteAllText(Path.Combine(_paths[mount.MountPath], file), Relocate(editFile?.Invoke(file, text) ?? text));
                if (volume.Secret is not null)
                    foreach (var item in volume.Secret.Items)
                        File.WriteAllText(Path.Combine(_paths[mount.MountPath], item.Path), secretValue(volume.Secret.SecretName, item.Key));
            }
        }
        catch
        {
            _root.Delete(recursive: true);
            throw;
        }
    }

    public V1Container Container { get; }

    /// <summary>Where the pod's <paramref name="mountPath"/> is on this machine.</summary>
    public string PathOf(string mountPath) => _paths[mountPath];

    public string Log { get { lock (_log) return _log.ToString(); } }

    public bool HasExited => _process?.HasExited ?? false;
    public int ExitCode => _process!.ExitCode;

    /// <summary>Starts the container's command with <paramref name="environment"/>.</summary>
    public void Start(IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(Container.Command[0], Container.Command.Skip(1).Select(Relocate))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits for the command to end by itself (it is killed after <paramref name="timeout"/>).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try { await _process!.WaitForExitAsync(cancel.Token); }
        catch (OperationCanceledException) { Assert.Fail($"{Container.Name} did not exit within {timeout}: {Log}"); }
        _process.WaitForExit();   // the output's last lines
        return _process.ExitCode;
    }

    /// <summary><paramref name="text"/> with the pod's absolute mount paths moved here (longest first).</summary>
    public string Relocate(string text) =>
        _paths.OrderByDescending(p => p.Key.Length).Aggregate(text, (t, p) => t.Replace(p.Key, p.Value, StringComparison.Ordinal));

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process?.Dispose();
        _root.Delete(recursive: true);
    }
}
