using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FaceMatch.Tests;

namespace FaceMatch.Server.Tests.Support;

/// <summary>
/// The published executable as an operator runs it: `out/facematch serve` with the converted models, on free
/// loopback ports and a temporary data directory (or one the caller owns, to restart a server on the same vault).
/// Its output lines are kept; it is killed on dispose.
/// </summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Task<string> _stderr;
    private readonly string _data;
    private readonly bool _ownsData;

    private ServeProcess(Process process, string data, bool ownsData, int port, int metricsPort)
    {
        _process = process;
        _data = data;
        _ownsData = ownsData;
        Port = port;
        MetricsPort = metricsPort;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) _lines.Add(e.Data); };
        process.BeginOutputReadLine();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public int Port { get; }
    public string DataDirectory => _data;
    public int MetricsPort { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;
    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }
    public Task<string> Stderr => _stderr;

    /// <param name="dataDirectory">
    /// An existing data directory (vault, master key) to serve from; the caller owns it and it outlives this
    /// process. Null: a new temporary one, deleted on dispose.
    /// </param>
    public static ServeProcess Start(IReadOnlyDictionary<string, string>? environment = null, string? dataDirectory = null)
    {
        Assert.True(File.Exists(TestPaths.Executable), $"{TestPaths.Executable} missing: run `make build`");
        var data = dataDirectory ?? Directory.CreateTempSubdirectory("fm-serve").FullName;
        var port = FreePort();
        var metricsPort = FreePort();
        var start = new ProcessStartInfo(TestPaths.Executable, ["serve"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["FACEMATCH_PORT"] = port.ToString(),
                ["FACEMATCH_METRICS_PORT"] = metricsPort.ToString(),
                ["FACEMATCH_DATA"] = data,
                ["FACEMATCH_MODELS"] = TestPaths.Models,
            },
        };
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return new ServeProcess(Process.Start(start)!, data, ownsData: dataDirectory is null, port, metricsPort);
    }

    /// <summary>Waits until the server printed a line containing <paramref name="text"/>.</summary>
    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (!Lines.Any(l => l.Contains(text)))
        {
            if (_process.HasExited) throw new InvalidOperationException($"facematch exited ({_process.ExitCode}) before printing '{text}': {await _stderr}");
            if (DateTime.UtcNow > until) throw new TimeoutException($"facematch did not print '{text}' within {timeout}");
            await Task.Delay(100);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit();   // drains the asynchronous stdout reader
        return _process.ExitCode;
    }

    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString()])!;
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGKILL: no handler runs and nothing is flushed; returns once the process is gone.</summary>
    public async Task KillAsync(TimeSpan timeout)
    {
        await SignalAsync("KILL");
        await WaitForExitAsync(timeout);
    }

    public static int FreePort() => LoopbackPorts.Take();

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        if (_ownsData) Directory.Delete(_data, recursive: true);
    }
}
