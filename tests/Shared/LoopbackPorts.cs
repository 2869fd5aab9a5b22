using System.Net;
using System.Net.Sockets;

namespace FaceMatch.Tests;

/// <summary>
/// Free loopback ports for the servers tests start, taken below the kernel's ephemeral range. A port the kernel
/// hands out for bind(0) comes from that range, which is also where every outgoing connection gets its local port:
/// in the time between picking such a port and the server binding it, any client socket of a parallel test could
/// take it ("address already in use"). Below the range only another listener can, and each port is handed out once
/// per test process and checked free when taken.
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 12_000;
    private static readonly HashSet<int> Taken = [];
    private static readonly int Ceiling = EphemeralStart();

    /// <summary><paramref name="count"/> distinct ports, each free when returned.</summary>
    public static IReadOnlyList<int> Take(int count)
    {
        var ports = new List<int>(count);
        lock (Taken)
        {
            for (var attempt = 0; ports.Count < count; attempt++)
            {
                if (attempt > 20 * count + 1000) throw new InvalidOperationException($"no free loopback port in {Lowest}-{Ceiling - 1}");
                var port = Random.Shared.Next(Lowest, Ceiling);
                if (Taken.Contains(port) || !IsFree(port)) continue;
                Taken.Add(port);
                ports.Add(port);
            }
        }
        return ports;
    }

    public static int Take() => Take(1)[0];

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static int EphemeralStart()
    {
        // "32768\t60999" on a default Linux; the range's first port bounds ours.
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
            if (int.TryParse(first, out var start) && start > Lowest + 1000) return start;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 32_768;
    }
}
