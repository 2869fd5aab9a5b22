using System.Runtime.CompilerServices;
using FaceMatch.Tests;

namespace FaceMatch.Client.Tests.Support;

/// <summary>Frame sources for sessions, and ../shared's labelled photos.</summary>
public static class Frames
{
    /// <summary>One photo as <paramref name="count"/> frames, 100 ms apart on the capture clock, as a phone filming it would send.</summary>
    public static async IAsyncEnumerable<SessionFrame> Still(string photo, int count = 3, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var image = await File.ReadAllBytesAsync(photo, cancellationToken);
        for (var i = 0; i < count; i++) yield return new SessionFrame(image, TimeSpan.FromMilliseconds(1_000 + 100 * i));
    }

    /// <summary>
    /// A source with no frames (System.Linq.AsyncEnumerable.Empty is ambiguous here: the vault's
    /// System.Interactive.Async brings an older AsyncEnumerable of the same name).
    /// </summary>
    public static async IAsyncEnumerable<SessionFrame> None()
    {
        await Task.CompletedTask;
        yield break;
    }

    /// <summary>The people of ../shared/data/faces with at least <paramref name="photos"/> photos, and their photos, by name.</summary>
    public static IReadOnlyList<(string Person, string[] Photos)> People(int photos) =>
        Directory.GetDirectories(TestPaths.Faces).Where(d => !Path.GetFileName(d).StartsWith('_'))
            .Select(d => (Path.GetFileName(d), Directory.GetFiles(d).Where(f => f.EndsWith(".jpg") || f.EndsWith(".png")).Order().ToArray()))
            .Where(p => p.Item2.Length >= photos).OrderBy(p => p.Item1).ToList();
}
