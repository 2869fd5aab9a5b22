using System.Diagnostics;
using System.Text;
using System.Text.Json;
using FaceMatch.Tests;

namespace FaceMatch.Server.Tests.Support;

/// <summary>
/// An independent gRPC peer in its own process: the grpc-js scripts in tests/interop/node (their pinned
/// packages installed by `make node-deps`, which `make test` runs first) or the grpcio scripts in
/// tests/interop/python (Debian's python3-grpcio). Every wait is bounded; the process is killed on dispose.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    public static string Directory => Path.Combine(TestPaths.RepoRoot, "tests", "interop", "node");
    public static string InteropProto => Path.Combine(TestPaths.RepoRoot, "tests", "interop", "protos", "interop.proto");

    private PeerProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Tests reach no registry: the pinned packages must already be installed.</summary>
    public static Task EnsureInstalledAsync()
    {
        if (!File.Exists(Path.Combine(Directory, "node_modules", "@grpc", "grpc-js", "package.json")))
            throw new InvalidOperationException($"grpc-js is not installed in {Directory}: run `make node-deps` (make test does)");
        return Task.CompletedTask;
    }

    /// <summary>Debian's interpreter, which has python3-grpcio (a pyenv python3 on PATH may not).</summary>
    public const string SystemPython = "/usr/bin/python3";

    /// <summary>Starts `node script args...`; read its JSON lines with <see cref="ReadJsonLineAsync"/>.</summary>
    public static async Task<PeerProcess> StartAsync(string script, params string[] args)
    {
        await EnsureInstalledAsync();
        return Start("node", Directory, Path.Combine(Directory, script), args);
    }

    /// <summary>Starts `/usr/bin/python3 tests/interop/python/script args...`.</summary>
    public static PeerProcess StartPython(string script, params string[] args)
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "tests", "interop", "python");
        return Start(SystemPython, dir, Path.Combine(dir, script), args);
    }

    private static PeerProcess Start(string program, string workingDirectory, string script, string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add(script);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return new PeerProcess(Process.Start(psi)!);
    }

    /// <summary>Runs a grpc-js client scenario to its end and returns the JSON it printed last.</summary>
    public static async Task<JsonElement> RunAsync(string script, params string[] args) =>
        await RunToEndAsync(await StartAsync(script, args), script);

    /// <summary>
    /// Runs a grpc-js client scenario with <paramref name="input"/> on its stdin (then closed), which is where secrets
    /// such as bearer tokens go: a process's arguments are readable by every user of the machine.
    /// </summary>
    public static async Task<JsonElement> RunWithInputAsync(string script, string input, TimeSpan lineTimeout, params string[] args)
    {
        var peer = await StartAsync(script, args);
        await peer._process.StandardInput.WriteAsync(input);
        peer._process.StandardInput.Close();
        return await RunToEndAsync(peer, script, lineTimeout);
    }

    /// <summary>Runs a grpcio client scenario to its end and returns the JSON it printed last.</summary>
    public static Task<JsonElement> RunPythonAsync(string script, params string[] args) =>
        RunToEndAsync(StartPython(script, args), script);

    private static async Task<JsonElement> RunToEndAsync(PeerProcess started, string script, TimeSpan? lineTimeout = null)
    {
        await using var peer = started;
        JsonElement? last = null;
        while (await peer.ReadJsonLineAsync(lineTimeout ?? TimeSpan.FromSeconds(60)) is { } line) last = line;
        await peer.WaitForExitAsync(TimeSpan.FromSeconds(20));
        return last ?? throw new InvalidOperationException($"{script} printed nothing. stderr:\n{peer.Stderr}");
    }

    /// <summary>The next stdout line as JSON; null at end of output.</summary>
    public async Task<JsonElement?> ReadJsonLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"node printed nothing within {timeout}. stderr:\n{Stderr}");
        }
        if (line is null) return null;
        try
        {
            return JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"node printed a line that is not JSON: {line}\nstderr:\n{Stderr}");
        }
    }

    public async Task WriteLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
        }
        _process.Dispose();
    }
}
