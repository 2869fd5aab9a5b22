namespace FaceMatch.Cli.Commands.Bench;

/// <summary>Seeded random unit vectors (Gaussian directions, like embeddings) for benchmarks; fast enough for 10^6 x 512.</summary>
internal sealed class RandomEmbeddings(int seed)
{
    // The seed is hashed into the state: nearby seeds (one per synthetic identity) must not start nearby in the one
    // splitmix sequence, or their vectors would be the same draws shifted by a step.
    private ulong _state = Mix((ulong)seed + 0x632BE59BD9B4E019UL);
    private float _spare;
    private bool _hasSpare;

    /// <summary>Fills <paramref name="v"/> with a uniformly random direction (normal components, then L2-normalised).</summary>
    public void NextUnit(Span<float> v)
    {
        double sum = 0;
        for (int i = 0; i < v.Length; i++)
        {
            float x = NextGaussian();
            v[i] = x;
            sum += (double)x * x;
        }
        float inv = (float)(1 / Math.Sqrt(sum));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
    }

    /// <summary>A probe of the same person: <paramref name="enrolled"/> plus noise of relative size <paramref name="noise"/>, renormalised.</summary>
    public void NextNear(ReadOnlySpan<float> enrolled, float noise, Span<float> probe)
    {
        NextUnit(probe);
        double sum = 0;
        for (int i = 0; i < probe.Length; i++)
        {
            probe[i] = enrolled[i] + noise * probe[i];
            sum += (double)probe[i] * probe[i];
        }
        float inv = (float)(1 / Math.Sqrt(sum));
        for (int i = 0; i < probe.Length; i++) probe[i] *= inv;
    }

    public int NextInt(int maxExclusive) => (int)(NextUInt64() % (ulong)maxExclusive);

    private float NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        // Marsaglia polar method: no trigonometry.
        float u, v, s;
        do
        {
            u = NextUniform() * 2 - 1;
            v = NextUniform() * 2 - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        float f = MathF.Sqrt(-2 * MathF.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    private float NextUniform() => (NextUInt64() >> 40) * (1f / (1 << 24));

    // splitmix64
    private ulong NextUInt64() => Mix(_state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
