using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FaceMatch.Matching.Kernels;
using Xunit.Abstractions;

namespace FaceMatch.Matching.Tests;

/// <summary>
/// Each kernel path, forced in turn, against a double-precision (or exact integer) reference, at lengths that are
/// and are not multiples of every vector width. Paths the CPU lacks are listed as not run, and the set that did run
/// is asserted against the CPU's own feature flags, so a path can never be skipped silently.
/// </summary>
public class KernelPathTests(ITestOutputHelper output)
{
    public static readonly int[] Lengths = [1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 192, 255, 256, 257, 512, 1000, 1031];

    /// <summary>Which paths must run here, derived from the intrinsics' flags independently of KernelSupport.</summary>
    private static HashSet<KernelPath> ExpectedPaths(VectorPrecision precision)
    {
        var expected = new HashSet<KernelPath> { KernelPath.Scalar };
        if (Vector128.IsHardwareAccelerated) expected.Add(KernelPath.Vector128);
        bool int8 = precision == VectorPrecision.Int8;
        if (int8 ? Avx2.IsSupported : Vector256.IsHardwareAccelerated) expected.Add(KernelPath.Vector256);
        if (int8 ? Avx512BW.IsSupported : Vector512.IsHardwareAccelerated) expected.Add(KernelPath.Vector512);
        if (int8 && AvxVnni.IsSupported) expected.Add(KernelPath.AvxVnni256);
        if (int8 && CpuHasAvx512Vnni && NativeLibraryBuilt) expected.Add(KernelPath.Avx512Vnni);
        return expected;
    }

    /// <summary>AVX-512 F, BW and VNNI from CPUID leaf 7 (EBX bits 16 and 30, ECX bit 11), with the OS saving zmm state.</summary>
    private static bool CpuHasAvx512Vnni =>
        Avx512F.IsSupported && Avx512BW.IsSupported && (X86Base.CpuId(7, 0).Ecx & (1 << 11)) != 0;

    /// <summary>Whether `make native` put the AVX-512 VNNI library beside the tests.</summary>
    private static bool NativeLibraryBuilt => File.Exists(Path.Combine(AppContext.BaseDirectory, NativeVnni512.FileName));

    [Fact]
    public void The_native_avx512_vnni_library_runs_wherever_the_cpu_has_avx512_vnni()
    {
        if (!CpuHasAvx512Vnni)
        {
            output.WriteLine($"Avx512Vnni: NOT RUN (this CPU lacks AVX-512 VNNI: {KernelSupport.WhyUnsupported(KernelPath.Avx512Vnni, VectorPrecision.Int8)})");
            return;
        }
        // `make test` builds native/ first: on this CPU the path must be there, not skipped for a missing file.
        Assert.True(NativeLibraryBuilt, $"{NativeVnni512.FileName} is not beside the tests: run `make native`");
        Assert.True(KernelSupport.IsSupported(KernelPath.Avx512Vnni, VectorPrecision.Int8), KernelSupport.WhyUnsupported(KernelPath.Avx512Vnni, VectorPrecision.Int8));
        Assert.Equal(KernelPath.Avx512Vnni, KernelSupport.Best(VectorPrecision.Int8));
        Assert.False(KernelSupport.IsSupported(KernelPath.Avx512Vnni, VectorPrecision.Float32));
    }

    private HashSet<KernelPath> ForEachPath(VectorPrecision precision, Action<KernelPath> check)
    {
        var ran = new HashSet<KernelPath>();
        foreach (var path in KernelSupport.AllPaths)
        {
            if (!KernelSupport.IsSupported(path, precision))
            {
                output.WriteLine($"{precision} {path}: NOT RUN ({KernelSupport.WhyUnsupported(path, precision)})");
                Assert.Throws<NotSupportedException>(() => KernelSupport.Resolve(path, precision));
                continue;
            }
            check(path);
            ran.Add(path);
            output.WriteLine($"{precision} {path}: ran");
        }
        return ran;
    }

    [Fact]
    public void Float32_every_supported_path_matches_the_reference()
    {
        var rng = new Random(11);
        var ran = ForEachPath(VectorPrecision.Float32, path =>
        {
            foreach (int n in Lengths)
            {
                var a = TestVectors.Gaussian(rng, n);
                var b = TestVectors.Gaussian(rng, n);
                double expected = TestVectors.Dot(a, b);
                double magnitude = a.Zip(b, (x, y) => Math.Abs((double)x * y)).Sum();
                float actual = Similarity.Dot(a, b, path);
                Assert.True(Math.Abs(actual - expected) <= 1e-5 * magnitude + 1e-6, $"{path} n={n}: {actual} vs {expected}");

                double cosExpected = expected / Math.Sqrt(TestVectors.Dot(a, a) * TestVectors.Dot(b, b));
                Assert.True(Math.Abs(cosExpected - Similarity.Cosine(a, b, path)) < 1e-5, $"{path} n={n}: cosine");
            }
        });
        Assert.Equal(ExpectedPaths(VectorPrecision.Float32), ran);
    }

    [Fact]
    public void Float16_every_supported_path_matches_the_reference()
    {
        var rng = new Random(12);
        var ran = ForEachPath(VectorPrecision.Float16, path =>
        {
            foreach (int n in Lengths)
            {
                var a = TestVectors.Gaussian(rng, n);
                // Include zeros, subnormal halves and the largest magnitudes the encoding holds.
                var b = TestVectors.Gaussian(rng, n).Select((x, i) => (i % 11) switch
                {
                    0 => (Half)0f,
                    1 => (Half)(-0f),
                    2 => (Half)(x * 1e-6f),
                    3 => (Half)(x > 0 ? 60000f : -60000f),
                    _ => (Half)x,
                }).ToArray();
                double expected = 0, magnitude = 0;
                for (int i = 0; i < n; i++)
                {
                    expected += (double)a[i] * (double)(float)b[i];
                    magnitude += Math.Abs((double)a[i] * (double)(float)b[i]);
                }
                float actual = Similarity.Dot(a, b, path);
                Assert.True(Math.Abs(actual - expected) <= 1e-5 * magnitude + 1e-6, $"{path} n={n}: {actual} vs {expected}");
            }
        });
        Assert.Equal(ExpectedPaths(VectorPrecision.Float16), ran);
    }

    [Fact]
    public void Int8_every_supported_path_is_exact()
    {
        var rng = new Random(13);
        var ran = ForEachPath(VectorPrecision.Int8, path =>
        {
            foreach (int n in Lengths)
            {
                var a = Enumerable.Range(0, n).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                var b = Enumerable.Range(0, n).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                Assert.Equal(a.Zip(b, (x, y) => (long)x * y).Sum(), Similarity.Dot(a, b, path));

                // Extremes: every product at its largest magnitude, both signs.
                var max = Enumerable.Repeat((sbyte)127, n).ToArray();
                var min = Enumerable.Repeat((sbyte)-128, n).ToArray();
                Assert.Equal(127L * 127 * n, Similarity.Dot(max, max, path));
                Assert.Equal(-128L * 127 * n, Similarity.Dot(min, max, path));
                Assert.Equal(128L * 128 * n, Similarity.Dot(min, min, path));
            }
        });
        Assert.Equal(ExpectedPaths(VectorPrecision.Int8), ran);
    }

    [Fact]
    public void Quantised_dot_approximates_the_float_dot()
    {
        var rng = new Random(14);
        foreach (var path in KernelSupport.SupportedPaths(VectorPrecision.Int8))
        {
            for (int t = 0; t < 20; t++)
            {
                var a = TestVectors.Unit(rng, 512);
                var b = TestVectors.Unit(rng, 512);
                float approx = Similarity.Dot(Quantization.QuantizedVector.From(a), Quantization.QuantizedVector.From(b), path);
                Assert.True(Math.Abs(approx - TestVectors.Dot(a, b)) < 0.01, $"{path}: {approx} vs {TestVectors.Dot(a, b)}");
            }
        }
    }

    [Fact]
    public void Auto_picks_a_supported_path_and_bad_requests_are_refused()
    {
        foreach (var precision in Enum.GetValues<VectorPrecision>())
        {
            var best = KernelSupport.Best(precision);
            Assert.True(KernelSupport.IsSupported(best, precision));
            Assert.Equal(best, KernelSupport.Resolve(KernelPath.Auto, precision));
        }
        // The VNNI path is int8-only on every CPU.
        var e = Assert.Throws<NotSupportedException>(() => Similarity.Dot(new float[4], new float[4], KernelPath.AvxVnni256));
        Assert.Contains("int8-only", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelSupport.Resolve((KernelPath)99, VectorPrecision.Float32));
        Assert.Throws<ArgumentException>(() => Similarity.Dot(new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => Similarity.Cosine(new float[4], new float[4]));
    }
}
