using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FaceMatch.Cli.Commands.Bench;

/// <summary>
/// Streaming read bandwidth of this machine, measured the way the matching scan reads memory: sequential
/// 64-byte-aligned loads over a native buffer much larger than the caches, summed into independent vector
/// accumulators (so nothing but the loads limits it), one contiguous slice per thread.
/// </summary>
internal static unsafe class MemoryBandwidthProbe
{
    public sealed record Result(double GbPerSec, double BestGbPerSec, int Threads, long Bytes, int Repeats);

    public static Result Measure(long bytes, int threads, int repeats)
    {
        bytes = bytes / 4096 * 4096;
        var buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
        try
        {
            // Touch every page (and fill with something non-zero) so the measurement reads resident memory.
            new Span<byte>(buffer, (int)Math.Min(bytes, int.MaxValue)).Fill(1);
            for (long off = int.MaxValue; off < bytes; off += int.MaxValue)
                new Span<byte>(buffer + off, (int)Math.Min(bytes - off, int.MaxValue)).Fill(1);

            ReadAll(buffer, bytes, threads); // warm-up
            var rates = new double[repeats];
            for (int r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                ReadAll(buffer, bytes, threads);
                rates[r] = bytes / sw.Elapsed.TotalSeconds / 1e9;
            }
            Array.Sort(rates);
            return new Result(rates[repeats / 2], rates[^1], threads, bytes, repeats);
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }

    private static float ReadAll(byte* buffer, long bytes, int threads)
    {
        if (threads <= 1) return ReadSlice(buffer, bytes);
        long slice = bytes / threads / 64 * 64;
        var sums = new float[threads];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            long start = t * slice, end = t == threads - 1 ? bytes : start + slice;
            sums[t] = ReadSlice(buffer + start, end - start);
        });
        return sums.Sum();
    }

    private static float ReadSlice(byte* p, long bytes)
    {
        // Eight independent accumulators: the adds never limit the loop, only the loads do.
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            byte* end = p + bytes / 512 * 512;
            for (; p < end; p += 512)
            {
                a0 += Vector512.LoadAligned((float*)p);
                a1 += Vector512.LoadAligned((float*)(p + 64));
                a2 += Vector512.LoadAligned((float*)(p + 128));
                a3 += Vector512.LoadAligned((float*)(p + 192));
                a4 += Vector512.LoadAligned((float*)(p + 256));
                a5 += Vector512.LoadAligned((float*)(p + 320));
                a6 += Vector512.LoadAligned((float*)(p + 384));
                a7 += Vector512.LoadAligned((float*)(p + 448));
            }
            return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        }
        else
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
            byte* end = p + bytes / 256 * 256;
            for (; p < end; p += 256)
            {
                a0 += Vector256.Load((float*)p);
                a1 += Vector256.Load((float*)(p + 32));
                a2 += Vector256.Load((float*)(p + 64));
                a3 += Vector256.Load((float*)(p + 96));
                a4 += Vector256.Load((float*)(p + 128));
                a5 += Vector256.Load((float*)(p + 160));
                a6 += Vector256.Load((float*)(p + 192));
                a7 += Vector256.Load((float*)(p + 224));
            }
            return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
        }
    }
}
