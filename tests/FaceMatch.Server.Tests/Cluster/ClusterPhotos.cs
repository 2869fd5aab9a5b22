using System.Collections.Concurrent;
using FaceMatch.Server.Tests.Service;

namespace FaceMatch.Server.Tests.Cluster;

/// <summary>The cluster tests' photos (one per person of ../shared) and a session's frames of one of them.</summary>
internal static class ClusterPhotos
{
    private static readonly ConcurrentDictionary<string, byte[]> Bytes = new();

    public static readonly string[] Photos = [.. ServiceFixture.People(photos: 1).SelectMany(p => p.Photos)];

    /// <summary><paramref name="frames"/> copies of the photo: a still subject, as the sessions here send.</summary>
    public static IEnumerable<byte[]> Still(string photo, int frames = 3) => Enumerable.Repeat(Bytes.GetOrAdd(photo, File.ReadAllBytes), frames);
}
