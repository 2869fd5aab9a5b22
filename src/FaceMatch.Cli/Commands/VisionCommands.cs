using System.CommandLine;
using System.Text.Json.Nodes;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision;
using FaceMatch.Vision.Detection;
using FaceMatch.Vision.Evaluation;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Cli.Commands;

/// <summary>`facematch compare | detect | eval | eval-liveness`: the vision pipeline from the command line.</summary>
internal static class VisionCommands
{
    public static IEnumerable<Command> Create() => [Compare(), Detect(), Eval(), EvalLiveness()];

    private static Command Compare()
    {
        var a = new Argument<FileInfo>("image-a") { Description = "first photo (JPEG, PNG or WebP)" };
        var b = new Argument<FileInfo>("image-b") { Description = "second photo (JPEG, PNG or WebP)" };
        var command = new Command("compare", "Score the largest face of two photos; prints JSON with score, decision and threshold. "
            + "Offline with the local models, or with --server through a running server's Compare call.") { a, b };
        var selection = PipelineSelection.Options();
        foreach (var o in selection.All) command.Options.Add(o);
        var remote = RemoteCompare.Options();
        foreach (var o in remote.All) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            if (remote.IsRequested(parse))
                return selection.AnyGiven(parse)
                    ? CliJson.Error("--detector, --landmarks and --flip choose local models; with --server the server's own run")
                    : await remote.RunAsync(parse, parse.GetValue(a)!, parse.GetValue(b)!, ct);
            await using var analyzer = await OpenAnalyzerAsync(parse, selection, ct);
            var ea = await analyzer.EmbedLargestFaceAsync(await File.ReadAllBytesAsync(parse.GetValue(a)!.FullName, ct), ct);
            var eb = await analyzer.EmbedLargestFaceAsync(await File.ReadAllBytesAsync(parse.GetValue(b)!.FullName, ct), ct);
            if (ea is null || eb is null)
                return CliJson.Error($"no face found in {(ea is null ? parse.GetValue(a)!.Name : parse.GetValue(b)!.Name)}");
            var score = FaceAnalyzer.Similarity(ea, eb);
            PrintComparison(score, score >= analyzer.MatchThreshold, analyzer.MatchThreshold);
            return 0;
        });
        return command;
    }

    /// <summary>The one output shape of `compare`, offline or through a server.</summary>
    internal static void PrintComparison(float score, bool match, float threshold) => CliJson.Print(new JsonObject
    {
        ["score"] = CliJson.Round(score),
        ["match"] = match,
        ["threshold"] = threshold,
    });

    private static Command Detect()
    {
        var image = new Argument<FileInfo>("image") { Description = "photo (JPEG, PNG or WebP)" };
        var debug = new Option<FileInfo?>("--debug") { Description = "write a PNG with boxes, keypoints and the aligned crops" };
        var command = new Command("detect", "Find every face in a photo; prints JSON.") { image, debug };
        var selection = PipelineSelection.Options();
        foreach (var o in selection.All) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            await using var analyzer = await OpenAnalyzerAsync(parse, selection, ct);
            using var decoded = analyzer.Decode(await File.ReadAllBytesAsync(parse.GetValue(image)!.FullName, ct));
            var faces = await analyzer.DetectAsync(decoded, ct);
            var list = new JsonArray();
            foreach (var f in faces)
            {
                var quality = analyzer.AssessQuality(decoded, f, faces.Count);
                list.Add(new JsonObject
                {
                    ["box"] = new JsonObject { ["x"] = R(f.Box.X), ["y"] = R(f.Box.Y), ["width"] = R(f.Box.Width), ["height"] = R(f.Box.Height) },
                    ["score"] = CliJson.Round(f.Score, 4),
                    ["keypoints"] = new JsonArray(f.Keypoints.Select(p => (JsonNode)new JsonArray(R(p.X), R(p.Y))).ToArray()),
                    ["quality"] = CliJson.Round(quality.Overall, 3),
                    ["hints"] = new JsonArray(quality.Hints.Select(h => (JsonNode)h!).ToArray()),
                });
            }
            CliJson.Print(new JsonObject { ["width"] = decoded.Width, ["height"] = decoded.Height, ["faces"] = list });
            if (parse.GetValue(debug) is { } output)
                await File.WriteAllBytesAsync(output.FullName, FaceMatch.Vision.Diagnostics.DebugOverlay.RenderPng(analyzer, decoded, faces), ct);
            return 0;
        });
        return command;

        static double R(float v) => Math.Round(v, 1);
    }

    private static Command Eval()
    {
        var dir = new Argument<DirectoryInfo?>("dir") { Description = "folder with one sub-folder of photos per person", Arity = ArgumentArity.ZeroOrOne };
        var pairs = new Option<FileInfo?>("--pairs") { Description = "CSV of path_a,path_b,same (1 or 0) instead of a folder" };
        var json = new Option<bool>("--json") { Description = "print one JSON object (the default and only format)" };
        var embedders = new Option<string?>("--embedder") { Description = "manifest embedder id(s) to evaluate, comma-separated (default: the manifest's default); several print one result each under \"runs\"" };
        var far = new Option<double>("--far") { Description = "target false-accept rate for \"threshold_at_far\"", DefaultValueFactory = _ => 1e-3 };
        var selection = PipelineSelection.Options();
        var command = new Command("eval", "Score every genuine and impostor pair of the largest faces; prints AUC, EER, TAR at fixed FAR, d' and thresholds.")
            { dir, pairs, json, embedders, far };
        foreach (var o in selection.All) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            EvaluationSet set;
            ModelManifest manifest;
            try
            {
                set = (parse.GetValue(pairs), parse.GetValue(dir)) switch
                {
                    ({ } csv, null) => EvaluationSet.FromCsv(csv.FullName),
                    (null, { } folder) => EvaluationSet.FromFolder(folder.FullName),
                    _ => throw new ArgumentException("give either a folder or --pairs FILE.csv"),
                };
                manifest = selection.Apply(parse, ModelManifest.Load(CliPaths.ManifestPath()));
            }
            catch (Exception e) when (e is ArgumentException or IOException or FormatException or ModelManifestException)
            {
                return CliJson.Error(e.Message);
            }
            var ids = parse.GetValue(embedders)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [null!];
            var runs = new JsonArray();
            foreach (var id in ids)
            {
                ModelManifest chosen;
                try { chosen = id is null ? manifest : manifest.WithDefault(ModelRole.Embedder, id); }
                catch (ModelManifestException e) { return CliJson.Error(e.Message); }
                await using var analyzer = await FaceAnalyzer.CreateAsync(chosen, selection.Options(parse), ct);
                var report = await Evaluator.RunAsync(set, async path => await analyzer.EmbedLargestFaceAsync(await File.ReadAllBytesAsync(path, ct), ct));
                runs.Add(Describe(report, analyzer, parse.GetValue(far)));
            }
            CliJson.Print(runs.Count == 1 ? runs[0]!.DeepClone() : new JsonObject { ["runs"] = runs.DeepClone() });
            return 0;
        });
        return command;
    }

    private static JsonObject Describe(EvaluationReport report, FaceAnalyzer analyzer, double far)
    {
        var m = report.Metrics;
        var (tarAtFar, thresholdAtFar) = VerificationMetrics.AtFar(report.GenuineScores, report.ImpostorScores, far);
        return new JsonObject
        {
            ["auc"] = CliJson.Round(m.Auc),
            ["dprime"] = CliJson.Round(m.DPrime, 3),
            ["eer"] = CliJson.Round(m.Eer),
            ["tar_at_far_1e-2"] = CliJson.Round(m.TarAtFar1e2),
            ["tar_at_far_1e-3"] = CliJson.Round(m.TarAtFar1e3),
            ["threshold"] = analyzer.MatchThreshold,
            ["eer_threshold"] = CliJson.Round(m.EerThreshold),
            ["threshold_at_far_1e-2"] = CliJson.Round(m.ThresholdAtFar1e2),
            ["threshold_at_far_1e-3"] = CliJson.Round(m.ThresholdAtFar1e3),
            ["target_far"] = far,
            ["threshold_at_far"] = CliJson.Round(thresholdAtFar),
            ["tar_at_far"] = CliJson.Round(tarAtFar),
            ["accuracy_at_threshold"] = CliJson.Round(report.AccuracyAt(analyzer.MatchThreshold)),
            ["lowest_genuine"] = CliJson.Round(report.GenuineScores.Min()),
            ["highest_impostor"] = CliJson.Round(report.ImpostorScores.Max()),
            ["genuine_pairs"] = m.GenuinePairs,
            ["impostor_pairs"] = m.ImpostorPairs,
            ["failed_images"] = report.FailedImages.Count,
            ["failed"] = new JsonArray(report.FailedImages.Select(f => (JsonNode)f!).ToArray()),
            ["embedder"] = analyzer.EmbedderId,
            ["detector"] = analyzer.DetectorId,
            ["flip_average"] = analyzer.Embedder.FlipAverage,
        };
    }

    private static Command EvalLiveness()
    {
        var dir = new Argument<DirectoryInfo>("dir") { Description = "folder with live/ and spoof/ sub-folders of images (any depth)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object (the default and only format)" };
        var perImage = new Option<bool>("--per-image") { Description = "add \"images\": every scored image's path and score" };
        var models = new Option<string?>("--model") { Description = "passive model id(s) to evaluate, comma-separated; one run each under \"runs\" (default: the manifest's default passive models together)" };
        var threshold = new Option<double?>("--threshold") { Description = "decision threshold (default: the models' manifest threshold)" };
        var apcer = new Option<double>("--apcer") { Description = "target APCER for \"threshold_at_apcer\"", DefaultValueFactory = _ => 1e-2 };
        var selection = PipelineSelection.Options();
        var command = new Command("eval-liveness",
            "Score the largest face of every image under live/ and spoof/ with the passive liveness models; prints AUC, APCER and BPCER (ISO/IEC 30107-3) and thresholds.")
            { dir, json, perImage, models, threshold, apcer };
        foreach (var o in selection.All) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            LivenessSet set;
            ModelManifest manifest;
            var chosen = new List<ModelManifest>();
            try
            {
                set = LivenessSet.FromFolder(parse.GetValue(dir)!.FullName);
                manifest = selection.Apply(parse, ModelManifest.Load(CliPaths.ManifestPath()));
                if (parse.GetValue(models) is { } list)
                    chosen.AddRange(list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(id => manifest.WithPassive([id])));
                else chosen.Add(manifest);
            }
            catch (Exception e) when (e is ArgumentException or IOException or ModelManifestException)
            {
                return CliJson.Error(e.Message);
            }
            var runs = new JsonArray();
            foreach (var m in chosen)
            {
                await using var analyzer = await FaceAnalyzer.CreateAsync(m, selection.Options(parse), ct);
                if (!analyzer.Liveness.Available) return CliJson.Error("the model manifest marks no passive liveness model default (use --model ID)");
                var report = await LivenessEvaluator.RunAsync(set, async path => await analyzer.ScoreLargestFaceLivenessAsync(await File.ReadAllBytesAsync(path, ct), ct));
                runs.Add(DescribeLiveness(report, analyzer, parse.GetValue(threshold) ?? analyzer.Liveness.Threshold, parse.GetValue(apcer), parse.GetValue(perImage)));
            }
            CliJson.Print(runs.Count == 1 ? runs[0]!.DeepClone() : new JsonObject { ["runs"] = runs.DeepClone() });
            return 0;
        });
        return command;
    }

    private static JsonObject DescribeLiveness(LivenessReport report, FaceAnalyzer analyzer, double threshold, double targetApcer, bool perImage)
    {
        static JsonNode? Rate(double? v) => v is { } x ? CliJson.Round(x) : null;
        static JsonNode? Score(IReadOnlyList<double> scores, Func<IReadOnlyList<double>, double> pick) => scores.Count == 0 ? null : CliJson.Round(pick(scores));
        var separation = report.Separation;
        var at1e2 = report.AtApcer(1e-2);
        var atTarget = report.AtApcer(targetApcer);
        var result = new JsonObject
        {
            ["auc"] = separation is null ? null : CliJson.Round(separation.Auc),
            ["dprime"] = separation is null ? null : CliJson.Round(separation.DPrime, 3),
            ["eer"] = separation is null ? null : CliJson.Round(separation.Eer),
            ["threshold"] = CliJson.Round(threshold),
            ["apcer"] = Rate(report.Apcer(threshold)),
            ["bpcer"] = Rate(report.Bpcer(threshold)),
            ["bpcer_at_apcer_1e-2"] = Rate(at1e2?.Bpcer),
            // Thresholds unrounded: rounded down they could let one more attack through than the target allows.
            ["threshold_at_apcer_1e-2"] = at1e2?.Threshold,
            ["target_apcer"] = targetApcer,
            ["threshold_at_apcer"] = atTarget?.Threshold,
            ["bpcer_at_apcer"] = Rate(atTarget?.Bpcer),
            ["live_images"] = report.LiveScores.Count,
            ["spoof_images"] = report.SpoofScores.Count,
            ["lowest_live"] = Score(report.LiveScores, s => s.Min()),
            ["highest_spoof"] = Score(report.SpoofScores, s => s.Max()),
            ["mean_live"] = Score(report.LiveScores, s => s.Average()),
            ["mean_spoof"] = Score(report.SpoofScores, s => s.Average()),
            ["failed_images"] = report.FailedImages.Count,
            ["failed"] = new JsonArray(report.FailedImages.Select(f => (JsonNode)f!).ToArray()),
            ["models"] = new JsonArray(analyzer.Liveness.ModelIds.Select(id => (JsonNode)id!).ToArray()),
            ["detector"] = analyzer.DetectorId,
        };
        if (perImage)
            result["images"] = new JsonArray(report.Scored.Select(s => (JsonNode)new JsonObject
            {
                ["path"] = s.Path,
                ["live"] = s.Live,
                ["score"] = CliJson.Round(s.Score),
            }).ToArray());
        return result;
    }

    internal static async Task<FaceAnalyzer> OpenAnalyzerAsync(ParseResult parse, PipelineSelection selection, CancellationToken ct)
    {
        var manifest = selection.Apply(parse, ModelManifest.Load(CliPaths.ManifestPath()));
        return await FaceAnalyzer.CreateAsync(manifest, selection.Options(parse), ct);
    }
}

/// <summary>
/// `--detector`, `--landmarks` and `--flip`: which manifest models the pipeline uses for one command, over the
/// manifest's defaults and the environment.
/// </summary>
internal sealed class PipelineSelection
{
    private readonly Option<string?> _detector = new("--detector") { Description = "manifest detector id (default: the manifest's default)" };
    private readonly Option<string?> _landmarks = new("--landmarks") { Description = "manifest landmarks id for the 68-point alignment stage, or 'none' for the detector's keypoints" };
    private readonly Option<bool> _flip = new("--flip") { Description = "average each embedding with that of the mirrored crop" };

    public static PipelineSelection Options() => new();

    public IEnumerable<Option> All => [_detector, _landmarks, _flip];

    /// <summary>Whether the command line names any of these options.</summary>
    public bool AnyGiven(ParseResult parse) => All.Any(o => parse.GetResult(o) is { Implicit: false });

    public ModelManifest Apply(ParseResult parse, ModelManifest manifest)
    {
        if (parse.GetValue(_detector) is { } detector) manifest = manifest.WithDefault(ModelRole.Detector, detector);
        if (parse.GetValue(_landmarks) is { } landmarks)
            manifest = manifest.WithDefault(ModelRole.Landmarks, landmarks.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : landmarks);
        return manifest;
    }

    public VisionOptions Options(ParseResult parse)
    {
        var options = VisionOptions.FromEnvironment();
        return parse.GetValue(_flip) ? options with { FlipAverage = true } : options;
    }
}
