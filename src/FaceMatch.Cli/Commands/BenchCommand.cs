using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using FaceMatch.Cli.Commands.Bench;
using FaceMatch.Matching.Galleries;
using FaceMatch.Matching.Kernels;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch bench`: measurements of this machine and of FaceMatch's hot paths. Each subcommand lives in
/// Commands/Bench/ and is added in <see cref="Create"/>; other areas add theirs the same way.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks: 1:N matching scans, the approximate index, the duplicate sweep, memory bandwidth, model throughput, photos embedded per second.");
        command.Subcommands.Add(Match());
        command.Subcommands.Add(Ann());
        command.Subcommands.Add(Sweep());
        command.Subcommands.Add(MemoryBandwidth());
        command.Subcommands.Add(Models());
        command.Subcommands.Add(Embed());
        command.Subcommands.Add(Store());
        return command;
    }

    private static Command Match()
    {
        var n = Positive("--n", "Gallery size (rows).", 200_000);
        var dim = Positive("--dim", "Vector dimension.", 512);
        var queries = Positive("--queries", "Timed queries.", 200);
        var threads = Positive("--threads", "Threads per scan (partitioned rows).", 1);
        var batch = Positive("--batch", "Queries per scan pass (they share one read of the gallery).", 1);
        var k = Positive("--k", "Results per query.", 10);
        var seed = new Option<int>("--seed") { Description = "Random seed for gallery and queries.", DefaultValueFactory = _ => 42 };
        var dtype = new Option<string>("--dtype") { Description = "Scanned element type: f32, f16 or i8.", DefaultValueFactory = _ => "f32" };
        dtype.AcceptOnlyFromAmong("f32", "f16", "i8");
        var kernel = new Option<KernelPath>("--kernel") { Description = "Kernel path (Auto, Scalar, Vector128, Vector256, Vector512, AvxVnni256, Avx512Vnni).", DefaultValueFactory = _ => KernelPath.Auto };
        var batchKernel = new Option<BatchKernel>("--batch-kernel") { Description = "How a batch is scored: Auto, Tiles (4 x 4, bit-identical to single queries) or Panels (packed, float32/float16 on AVX-512).", DefaultValueFactory = _ => BatchKernel.Auto };
        var strategy = new Option<SearchStrategy?>("--strategy") { Description = "Exact, CompressedOnly or TwoStage (default: f32 Exact, f16 CompressedOnly, i8 TwoStage)." };
        var rerank = new Option<int>("--rerank-depth") { Description = "Two-stage candidates per query (0 = max(4k, 32)).", DefaultValueFactory = _ => 0 };
        var probe = new Option<string>("--probe") { Description = "Timed queries: random directions or genuine (enrolled vector + noise).", DefaultValueFactory = _ => "random" };
        probe.AcceptOnlyFromAmong("random", "genuine");
        var agreement = new Option<int>("--agreement-queries") { Description = "Queries of each kind (genuine, random) for f16/i8 top-1 agreement.", DefaultValueFactory = _ => 1000 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed scan passes first (at least).", DefaultValueFactory = _ => 2 };
        var warmupSeconds = new Option<double>("--warmup-seconds") { Description = "Keep warming up at least this long (JIT tiering).", DefaultValueFactory = _ => 1.0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (otherwise indented JSON)." };

        var command = new Command("match", "Time 1:N top-k search over a seeded random L2-normalised gallery.");
        foreach (var o in new Option[] { n, dim, queries, threads, dtype, batch, k, seed, kernel, batchKernel, strategy, rerank, probe, agreement, warmup, warmupSeconds, json })
            command.Options.Add(o);
        command.SetAction(parse =>
        {
            var config = new MatchBenchConfig
            {
                N = parse.GetValue(n), Dim = parse.GetValue(dim), Queries = parse.GetValue(queries), Threads = parse.GetValue(threads),
                Batch = parse.GetValue(batch), K = parse.GetValue(k), Seed = parse.GetValue(seed), Kernel = parse.GetValue(kernel),
                BatchKernel = parse.GetValue(batchKernel),
                Precision = parse.GetValue(dtype) switch { "f16" => VectorPrecision.Float16, "i8" => VectorPrecision.Int8, _ => VectorPrecision.Float32 },
                Strategy = parse.GetValue(strategy), RerankDepth = Math.Max(0, parse.GetValue(rerank)), Probe = parse.GetValue(probe) ?? "random",
                AgreementQueries = Math.Max(0, parse.GetValue(agreement)), WarmupPasses = Math.Max(0, parse.GetValue(warmup)),
                WarmupSeconds = Math.Max(0, parse.GetValue(warmupSeconds)),
            };
            return Emit(parse.GetValue(json), w => MatchBenchmark.Run(config, w));
        });
        return command;
    }

    private static Command Ann()
    {
        var n = Positive("--n", "Gallery size (rows).", 200_000);
        var dim = Positive("--dim", "Vector dimension.", 512);
        var queries = Positive("--queries", "Probes (fresh samples of random identities), searched one at a time.", 500);
        var samples = Positive("--samples", "Enrolled samples per synthetic identity.", 4);
        var noise = new Option<float>("--noise") { Description = "Noise of a sample around its identity's centre (0.8: cosine ≈ 0.6 between two samples).", DefaultValueFactory = _ => 0.8f };
        var intrinsicDim = new Option<int>("--intrinsic-dim") { Description = "Identity centres on a random subspace of this many dimensions (0: isotropic in all --dim).", DefaultValueFactory = _ => 0 };
        var k = Positive("--k", "Results per query (recall@10 needs 10).", 10);
        var m = Positive("--m", "HNSW links per node (2M on the bottom level).", 16);
        var efConstruction = Positive("--ef-construction", "HNSW candidates while inserting.", 100);
        var ef = new Option<string>("--ef") { Description = "Search ef values to measure, comma-separated (the first is the headline).", DefaultValueFactory = _ => "64" };
        var dtype = new Option<string>("--dtype") { Description = "Gallery storage: f32, or i8 (int8 with the float32 copy the re-rank reads).", DefaultValueFactory = _ => "f32" };
        dtype.AcceptOnlyFromAmong("f32", "i8");
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var vectorsFile = new Option<string?>("--vectors-file") { Description = "Gallery vectors: raw little-endian float32, N x DIM (instead of generated identities)." };
        var probesFile = new Option<string?>("--probes-file") { Description = "Probe vectors: raw little-endian float32, QUERIES x DIM." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (otherwise indented JSON)." };
        var command = new Command("ann", "Time the approximate index (HNSW) against the exact scan on a gallery of synthetic identities.");
        foreach (var o in new Option[] { n, dim, queries, samples, noise, intrinsicDim, k, m, efConstruction, ef, dtype, seed, vectorsFile, probesFile, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            int[] efs;
            try
            {
                efs = (parse.GetValue(ef) ?? "64").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(x => int.Parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
                if (efs.Length == 0 || efs.Any(x => x <= 0)) throw new FormatException();
            }
            catch (FormatException)
            {
                Console.Error.WriteLine("facematch bench: --ef must be positive integers separated by commas");
                return 2;
            }
            var config = new AnnBenchConfig
            {
                N = parse.GetValue(n), Dim = parse.GetValue(dim), Queries = parse.GetValue(queries), Samples = parse.GetValue(samples),
                Noise = parse.GetValue(noise), IntrinsicDim = parse.GetValue(intrinsicDim), K = parse.GetValue(k), M = parse.GetValue(m),
                EfConstruction = parse.GetValue(efConstruction), Ef = efs, Precision = parse.GetValue(dtype) == "i8" ? VectorPrecision.Int8 : VectorPrecision.Float32, Seed = parse.GetValue(seed),
                VectorsFile = parse.GetValue(vectorsFile), ProbesFile = parse.GetValue(probesFile),
            };
            return Emit(parse.GetValue(json), w => AnnBenchmark.Run(config, w));
        });
        return command;
    }

    private static Command Sweep()
    {
        var n = Positive("--n", "Gallery size (rows).", 100_000);
        var dim = Positive("--dim", "Vector dimension.", 512);
        var samples = Positive("--samples", "Samples per synthetic identity (their pairs are the duplicates).", 4);
        var noise = new Option<float>("--noise") { Description = "Noise of a sample around its identity's centre.", DefaultValueFactory = _ => 0.8f };
        var threshold = new Option<float>("--threshold") { Description = "Cosine at or above which a pair is reported.", DefaultValueFactory = _ => 0.5f };
        var perPass = Positive("--probes-per-pass", "Gallery rows used as probes per pass.", 256);
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 42 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (otherwise indented JSON)." };
        var command = new Command("sweep", "Time the whole-gallery duplicate sweep over synthetic identities.");
        foreach (var o in new Option[] { n, dim, samples, noise, threshold, perPass, seed, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var config = new SweepBenchConfig
            {
                N = parse.GetValue(n), Dim = parse.GetValue(dim), Samples = parse.GetValue(samples), Noise = parse.GetValue(noise),
                Threshold = parse.GetValue(threshold), ProbesPerPass = parse.GetValue(perPass), Seed = parse.GetValue(seed),
            };
            return Emit(parse.GetValue(json), w => SweepBenchmark.Run(config, w));
        });
        return command;
    }

    private static Command MemoryBandwidth()
    {
        var sizeMb = Positive("--size-mb", "Buffer size in MiB (well above the last-level cache).", 1024);
        var threads = new Option<int>("--threads") { Description = "Threads for the multi-threaded figure (default: all processors).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeats = Positive("--repeats", "Timed passes per figure (median reported).", 7);
        var json = new Option<bool>("--json") { Description = "Print one JSON object (otherwise indented JSON)." };
        var command = new Command("membw", "Streaming read bandwidth, single thread and T threads.");
        foreach (var o in new Option[] { sizeMb, threads, repeats, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            long bytes = parse.GetValue(sizeMb) * 1024L * 1024;
            int t = Math.Max(1, parse.GetValue(threads));
            int r = parse.GetValue(repeats);
            return Emit(parse.GetValue(json), w =>
            {
                var single = MemoryBandwidthProbe.Measure(bytes, 1, r);
                var multi = MemoryBandwidthProbe.Measure(bytes, t, r);
                w.WriteStartObject();
                w.WriteString("benchmark", "membw");
                w.WriteNumber("bytes", single.Bytes);
                w.WriteNumber("repeats", r);
                w.WriteNumber("single_thread_gb_per_sec", Math.Round(single.GbPerSec, 3));
                w.WriteNumber("single_thread_best_gb_per_sec", Math.Round(single.BestGbPerSec, 3));
                w.WriteNumber("threads", t);
                w.WriteNumber("multi_thread_gb_per_sec", Math.Round(multi.GbPerSec, 3));
                w.WriteNumber("multi_thread_best_gb_per_sec", Math.Round(multi.BestGbPerSec, 3));
                w.WriteString("cpu", KernelSupport.DescribeCpu());
                w.WriteNumber("processors", Environment.ProcessorCount);
                w.WriteEndObject();
            });
        });
        return command;
    }

    private static Command Embed()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "folder with one sub-folder of photos per person (`_` folders skipped)" };
        var passes = Positive("--passes", "Timed passes over every photo.", 3);
        var warmup = new Option<int>("--warmup") { Description = "Untimed photos embedded first.", DefaultValueFactory = _ => 3 };
        var concurrency = Positive("--concurrency", "Photos in flight at once (1: one after another).", 1);
        var scores = new Option<FileInfo?>("--scores-out") { Description = "write every scored pair as CSV path_a,path_b,same,score" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (otherwise indented JSON)." };
        var selection = PipelineSelection.Options();
        var command = new Command("embed", "Photos per second through decode, detect, align and embed of each photo's largest face, and the accuracy of those embeddings on every pair.")
            { dir };
        foreach (var o in new Option[] { passes, warmup, concurrency, scores, json }.Concat(selection.All)) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var config = new EmbedBenchConfig
            {
                Folder = parse.GetValue(dir)!.FullName, Passes = parse.GetValue(passes), Warmup = Math.Max(0, parse.GetValue(warmup)),
                Concurrency = parse.GetValue(concurrency), ScoresOut = parse.GetValue(scores)?.FullName,
            };
            if (!Directory.Exists(config.Folder)) return Fail($"folder not found: {config.Folder}");
            FaceAnalyzer analyzer;
            try { analyzer = await VisionCommands.OpenAnalyzerAsync(parse, selection, ct); }
            catch (Exception e) when (e is ModelManifestException or IOException) { return Fail(e.Message); }
            await using (analyzer)
            {
                var options = selection.Options(parse);
                using var buffer = new MemoryStream();
                try
                {
                    using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = !parse.GetValue(json), Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                        await EmbedBenchmark.RunAsync(config, analyzer, options, writer, ct);
                }
                catch (Exception e) when (e is ArgumentException or IOException) { return Fail(e.Message); }
                buffer.WriteByte((byte)'\n');
                using var stdout = Console.OpenStandardOutput();
                buffer.WriteTo(stdout);
                return 0;
            }
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"facematch bench: {message}");
        return 2;
    }

    private static Command Models()
    {
        var batches = new Option<string>("--batch") { Description = "Batch sizes, comma-separated.", DefaultValueFactory = _ => "1,8,32,64" };
        var seconds = new Option<double>("--seconds") { Description = "Timed seconds per model and batch size.", DefaultValueFactory = _ => 3.0 };
        var profile = new Option<bool>("--profile") { Description = "Profile with ONNX Runtime and report each execution provider's share of node time." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (otherwise indented JSON)." };
        var command = new Command("models", "Items/s of each default model at several batch sizes on FACEMATCH_DEVICE (bare runs, no queue).");
        foreach (var o in new Option[] { batches, seconds, profile, json }) command.Options.Add(o);
        command.SetAction(parse => Emit(parse.GetValue(json), w =>
        {
            var sizes = parse.GetValue(batches)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(b => int.TryParse(b, out var n) && n is >= 1 and <= 4096 ? n : throw new ArgumentException($"--batch: '{b}' is not a batch size (1..4096)"))
                .ToList();
            var time = parse.GetValue(seconds);
            if (time is <= 0 or > 600) throw new ArgumentException("--seconds must be more than 0 and at most 600");
            ModelThroughputBenchmark.Run(w, ModelManifest.Load(CliPaths.ManifestPath()), FaceMatch.Models.Runtime.ExecutionDevice.FromEnvironment(),
                sizes, time, parse.GetValue(profile));
        }));
        return command;
    }

    private static Command Store()
    {
        var enrolments = Positive("--enrolments", "Templates enrolled, then each authenticated once.", 400);
        var concurrency = Positive("--concurrency", "Callers at once (concurrent sessions).", 4);
        var dim = Positive("--dim", "Embedding dimension.", 512);
        var endpoints = new Option<string?>("--cluster") { Description = "Also measure this store cluster (host:port,...; loopback, or TLS / plaintext allowed below)." };
        var passwordFile = new Option<string?>("--password-file") { Description = "The store cluster's password file (0600)." };
        var replicaAcks = new Option<int>("--replica-acks") { Description = "Replicas that must confirm each write (WAIT).", DefaultValueFactory = _ => 1 };
        var clusterOnly = new Option<bool>("--cluster-only") { Description = "Skip the embedded store." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (otherwise indented JSON)." };
        var command = new Command("store", "Time the vault's part of enrol and authenticate on the embedded store and on a store cluster.");
        foreach (var o in new Option[] { enrolments, concurrency, dim, endpoints, passwordFile, replicaAcks, clusterOnly, json }) command.Options.Add(o);
        command.SetAction(parse => Emit(parse.GetValue(json), w =>
        {
            Vault.Storage.Cluster.ClusterStoreSettings? cluster = null;
            if (parse.GetValue(endpoints) is { Length: > 0 } list)
            {
                try
                {
                    cluster = new Vault.Storage.Cluster.ClusterStoreSettings
                    {
                        Endpoints = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                        Password = parse.GetValue(passwordFile) is { Length: > 0 } f ? Vault.Storage.Cluster.ClusterStoreSettings.ReadPasswordFile(f) : null,
                        ReplicaAcks = parse.GetValue(replicaAcks),
                    };
                    cluster.Validate();
                }
                catch (Vault.VaultConfigurationException e) { throw new ArgumentException(e.Message, e); }
            }
            else if (parse.GetValue(clusterOnly)) throw new ArgumentException("--cluster-only needs --cluster");
            StoreBenchmark.Run(new StoreBenchConfig
            {
                Cluster = cluster, Embedded = !parse.GetValue(clusterOnly), Enrolments = parse.GetValue(enrolments),
                Concurrency = parse.GetValue(concurrency), Dim = parse.GetValue(dim),
            }, w);
        }));
        return command;
    }

    private static Option<int> Positive(string name, string description, int defaultValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0) result.AddError($"{name} must be a positive integer");
        });
        return option;
    }

    /// <summary>Runs a benchmark writing JSON to stdout; bad arguments the library refuses become exit code 2 with the reason.</summary>
    private static int Emit(bool compact, Action<Utf8JsonWriter> run)
    {
        using var stdout = Console.OpenStandardOutput();
        try
        {
            using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = !compact, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                run(writer);
            stdout.WriteByte((byte)'\n');
            return 0;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or InsufficientMemoryException or IOException)
        {
            return Fail(e.Message);
        }
    }
}
