using System.Diagnostics;
using StackExchange.Redis;

namespace FaceMatch.Server.Tests.Support;

/// <summary>
/// One Debian redis-server on a free loopback port with its files in a temporary directory and no persistence: the
/// store the membership and notice tests talk to. Stopped (and its directory deleted) on dispose.
/// </summary>
public sealed class LoopbackRedis : IAsyncLifetime
{
    private Process? _process;
    private readonly string _dir = Directory.CreateTempSubdirectory("fm-redis").FullName;

    public int Port { get; } = ServeProcess.FreePort();
    public ConnectionMultiplexer Connection { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var start = new ProcessStartInfo("redis-server", ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _dir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                Connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},abortConnect=true,connectTimeout=1000,allowAdmin=true");
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < until && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (Connection is not null) await Connection.DisposeAsync();
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
