using System.Net;
using System.Net.Sockets;

namespace FaceMatch.Vault.Usage;

/// <summary>Cuts a client address to its network: IPv4 to /24, IPv6 to /48 (IPv4-mapped IPv6 counts as IPv4).</summary>
public static class NetworkPrefix
{
    public static string Of(IPAddress? address)
    {
        if (address is null) return "";
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var bytes = address.GetAddressBytes();
        switch (address.AddressFamily)
        {
            case AddressFamily.InterNetwork:
                bytes[3] = 0;
                return new IPAddress(bytes) + "/24";
            case AddressFamily.InterNetworkV6:
                Array.Clear(bytes, 6, bytes.Length - 6);
                return new IPAddress(bytes) + "/48";
            default:
                return "";
        }
    }
}
