using System.Collections;
using FaceMatch.Models.Runtime;

namespace FaceMatch.Vision.Tests;

public class VisionOptionsTests
{
    [Fact]
    public void Cpu_defaults_run_the_detector_unbatched_on_one_thread_per_run()
    {
        var cpu = VisionOptions.For(ExecutionDevice.Cpu);
        Assert.Equal(1, cpu.IntraOpThreads);
        Assert.Equal(1, cpu.DetectorBatching.MaxBatch);
        Assert.Equal(TimeSpan.Zero, cpu.EmbedderBatching.MaxWait);
        Assert.True(cpu.EmbedderBatching.RunInlineWhenIdle);
        // One single-threaded run in flight per model for every two cores.
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), cpu.DetectorBatching.Workers);
        Assert.Equal(cpu.DetectorBatching.Workers, cpu.LivenessBatching.Workers);
    }

    [Fact]
    public void Cuda_defaults_wait_briefly_to_fill_larger_batches()
    {
        var gpu = VisionOptions.For(ExecutionDevice.Parse("cuda:1"));
        foreach (var b in new[] { gpu.DetectorBatching, gpu.EmbedderBatching, gpu.LivenessBatching })
        {
            Assert.True(b.MaxBatch > 1);
            Assert.True(b.MaxWait > TimeSpan.Zero);
        }
    }

    [Fact]
    public void Variables_override_the_device_defaults()
    {
        var o = VisionOptions.FromVariables(new Hashtable
        {
            ["FACEMATCH_DEVICE"] = "cpu",
            ["FACEMATCH_MATCH_THRESHOLD"] = "0.95",
            ["FACEMATCH_INTRA_OP_THREADS"] = "2",
            ["FACEMATCH_MAX_BATCH"] = "4",
            ["FACEMATCH_BATCH_WAIT_US"] = "150",
        });
        Assert.Equal(0.95f, o.MatchThreshold);
        Assert.Equal(2, o.IntraOpThreads);
        Assert.All(new[] { o.DetectorBatching, o.EmbedderBatching, o.LivenessBatching, o.LandmarkBatching }, b =>
        {
            Assert.Equal(4, b.MaxBatch);
            Assert.Equal(TimeSpan.FromMicroseconds(150), b.MaxWait);
        });
        Assert.Equal(VisionOptions.For(ExecutionDevice.Cpu), VisionOptions.FromVariables(new Hashtable()));
        // Unset, the thresholds come from the model manifest (each embedder's and detector's own).
        Assert.Null(VisionOptions.FromVariables(new Hashtable()).MatchThreshold);
        Assert.Null(VisionOptions.FromVariables(new Hashtable()).MinDetectionScore);
    }

    [Theory]
    [InlineData("FACEMATCH_MAX_BATCH", "0")]
    [InlineData("FACEMATCH_MAX_BATCH", "2.5")]
    [InlineData("FACEMATCH_INTRA_OP_THREADS", "-1")]
    [InlineData("FACEMATCH_BATCH_WAIT_US", "soon")]
    [InlineData("FACEMATCH_MATCH_THRESHOLD", "NaN")]
    [InlineData("FACEMATCH_DEVICE", "tpu")]
    public void A_bad_value_is_refused_naming_its_variable(string name, string value)
    {
        var e = Assert.Throws<ArgumentException>(() => VisionOptions.FromVariables(new Hashtable { [name] = value }));
        Assert.Contains(name, e.Message);
    }
}
