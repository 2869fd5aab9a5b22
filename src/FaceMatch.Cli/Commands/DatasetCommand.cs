using System.CommandLine;
using System.Text.Json.Nodes;
using FaceMatch.Models.Manifest;
using FaceMatch.Vision;
using FaceMatch.Vision.Evaluation;

namespace FaceMatch.Cli.Commands;

/// <summary>`facematch dataset tight-crops SRC OUT`: evaluation sets derived from a labelled folder.</summary>
internal static class DatasetCommand
{
    public static Command Create()
    {
        var source = new Argument<DirectoryInfo>("source") { Description = "labelled folder: one sub-folder of photos per person" };
        var output = new Argument<DirectoryInfo>("out") { Description = "folder to write OUT/tight and OUT/tight-jpegQ into" };
        var size = new Option<int>("--size") { Description = "side of the square crops in pixels", DefaultValueFactory = _ => 150 };
        var padding = new Option<float>("--padding") { Description = "added on each side of the detector box, in box sides", DefaultValueFactory = _ => 0.1f };
        var quality = new Option<int>("--jpeg-quality") { Description = "quality of the JPEG variant", DefaultValueFactory = _ => 50 };
        var selection = PipelineSelection.Options();
        var tight = new Command("tight-crops",
            "Cut every labelled face to its detector box (largest face), padded, grey, resized; write a PNG set and a JPEG set; prints JSON.")
            { source, output, size, padding, quality };
        foreach (var o in selection.All) tight.Options.Add(o);
        tight.SetAction(async (parse, ct) =>
        {
            ModelManifest manifest;
            try { manifest = selection.Apply(parse, ModelManifest.Load(CliPaths.ManifestPath())); }
            catch (ModelManifestException e) { return CliJson.Error(e.Message); }
            await using var analyzer = await FaceAnalyzer.CreateAsync(manifest, selection.Options(parse), ct);
            var summary = await TightCropSet.WriteAsync(analyzer, parse.GetValue(source)!.FullName, parse.GetValue(output)!.FullName,
                new TightCropOptions(parse.GetValue(size), parse.GetValue(padding), parse.GetValue(quality)), ct);
            CliJson.Print(new JsonObject
            {
                ["lossless"] = summary.LosslessFolder,
                ["jpeg"] = summary.JpegFolder,
                ["written"] = summary.Written,
                ["failed"] = new JsonArray(summary.Failed.Select(f => (JsonNode)f!).ToArray()),
                ["detector"] = analyzer.DetectorId,
            });
            return summary.Failed.Count == 0 ? 0 : 1;
        });
        var command = new Command("dataset", "Evaluation sets derived from labelled photos.");
        command.Subcommands.Add(tight);
        return command;
    }
}
