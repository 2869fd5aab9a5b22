using System.Numerics;

namespace FaceMatch.Vision.Detection;

/// <summary>Merges overlapping detections of the same face.</summary>
public static class NonMaxSuppression
{
    /// <summary>
    /// What every detector does with its candidates (in model-input pixels): merge them (weighted or hard, per the
    /// options), map them to frame pixels, drop those narrower than the minimum, largest first.
    /// </summary>
    public static List<FaceDetection> ToFrame(IEnumerable<FaceDetection> candidates, VisionOptions options, Func<Vector2, Vector2> toFrame)
    {
        var merged = options.WeightedNms
            ? Weighted(candidates, options.NmsIou, options.MaxFaces)
            : Hard(candidates, options.NmsIou, options.MaxFaces);
        return merged
            .Select(f => f.Map(toFrame))
            .Where(f => f.Box.Width >= options.MinFacePixels)
            .OrderByDescending(f => f.Box.Area)
            .ToList();
    }

    /// <summary>Keeps the best-scoring box of every overlapping group; drops the rest.</summary>
    public static List<FaceDetection> Hard(IEnumerable<FaceDetection> candidates, float iouThreshold, int maxFaces)
    {
        var kept = new List<FaceDetection>();
        foreach (var c in candidates.OrderByDescending(c => c.Score))
        {
            if (kept.Count >= maxFaces) break;
            if (kept.All(k => k.Box.IntersectionOverUnion(c.Box) <= iouThreshold)) kept.Add(c);
        }
        return kept;
    }

    /// <summary>
    /// Replaces every overlapping group by the score-weighted mean of its boxes and keypoints,
    /// keeping the best score. Anchors near one face vote together, which steadies the box and
    /// landmarks from frame to frame more than picking one anchor does.
    /// </summary>
    public static List<FaceDetection> Weighted(IEnumerable<FaceDetection> candidates, float iouThreshold, int maxFaces)
    {
        var remaining = candidates.OrderByDescending(c => c.Score).ToList();
        var merged = new List<FaceDetection>();
        while (remaining.Count > 0 && merged.Count < maxFaces)
        {
            var best = remaining[0];
            var group = remaining.Where(c => c.Box.IntersectionOverUnion(best.Box) > iouThreshold).ToList();
            if (!group.Contains(best)) group.Add(best);
            remaining.RemoveAll(group.Contains);
            merged.Add(Average(group, best.Score));
        }
        return merged;
    }

    private static FaceDetection Average(List<FaceDetection> group, float score)
    {
        var total = group.Sum(g => g.Score);
        float x = 0, y = 0, r = 0, b = 0;
        var points = new Vector2[group[0].Keypoints.Length];
        foreach (var g in group)
        {
            var w = g.Score / total;
            x += g.Box.X * w; y += g.Box.Y * w; r += g.Box.Right * w; b += g.Box.Bottom * w;
            for (var i = 0; i < points.Length; i++) points[i] += g.Keypoints[i] * w;
        }
        return new FaceDetection(new FaceBox(x, y, r - x, b - y), score, points);
    }
}
