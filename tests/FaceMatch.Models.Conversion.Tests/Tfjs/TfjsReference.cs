using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FaceMatch.Tests;

namespace FaceMatch.Models.Conversion.Tests.Tfjs;

/// <summary>A float32 tensor: shape plus row-major values.</summary>
public sealed record FloatTensor(int[] Shape, float[] Values)
{
    public static FloatTensor Read(string file, int[] shape)
    {
        var bytes = File.ReadAllBytes(file);
        var values = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return new(shape, values);
    }

    public void Write(string file)
    {
        var bytes = new byte[Values.Length * 4];
        Buffer.BlockCopy(Values, 0, bytes, 0, bytes.Length);
        File.WriteAllBytes(file, bytes);
    }

    /// <summary>Joins tensors along their leading (batch) dimension.</summary>
    public static FloatTensor Concat(params FloatTensor[] parts) =>
        new([parts.Sum(p => p.Shape[0]), .. parts[0].Shape[1..]], parts.SelectMany(p => p.Values).ToArray());
}

/// <summary>
/// The reference runtime: TensorFlow.js 4.22 (pure JS CPU backend) in a Node child process running
/// tests/parity/tfjs/runner.js, kept alive for the whole test collection so tfjs loads once.
/// </summary>
public sealed class TfjsReference : IDisposable
{
    private const string ReplyPrefix = "@@reply ";
    private readonly Process _node;
    private readonly object _gate = new();
    private readonly System.Text.StringBuilder _stderr = new();
    private int _requests;

    public TfjsReference()
    {
        var dir = Path.Combine(TestPaths.RepoRoot, "tests", "parity", "tfjs");
        if (!File.Exists(Path.Combine(dir, "node_modules", "@tensorflow", "tfjs", "package.json")))
            throw new InvalidOperationException($"{dir}/node_modules is missing: run `make parity-deps` (npm ci of the pinned tfjs reference)");
        WorkDir = Path.Combine(Path.GetTempPath(), "facematch-tfjs-parity-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(WorkDir);
        var start = new ProcessStartInfo("node", ["runner.js"])
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _node = Process.Start(start) ?? throw new InvalidOperationException("cannot start node");
        _node.ErrorDataReceived += (_, e) => { lock (_stderr) if (e.Data != null && _stderr.Length < 20_000) _stderr.AppendLine(e.Data); };
        _node.BeginErrorReadLine();
        var version = Request(new JsonObject { ["cmd"] = "version" });
        TfjsVersion = version["tfjs"]!.GetValue<string>();
    }

    /// <summary>Scratch folder for tensors exchanged with node; removed on dispose.</summary>
    public string WorkDir { get; }
    public string TfjsVersion { get; }

    /// <summary>Runs a graph model on named float inputs and returns the requested outputs.</summary>
    public IReadOnlyList<FloatTensor> Run(string modelJson, IReadOnlyList<(string Name, FloatTensor Tensor)> inputs, IReadOnlyList<string> outputs)
    {
        var id = Interlocked.Increment(ref _requests);
        var dir = Path.Combine(WorkDir, $"run{id}");
        Directory.CreateDirectory(dir);
        var inputSpecs = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var file = Path.Combine(dir, $"in{i}.bin");
            inputs[i].Tensor.Write(file);
            inputSpecs.Add(new JsonObject { ["name"] = inputs[i].Name, ["shape"] = ToJson(inputs[i].Tensor.Shape), ["file"] = file });
        }
        var reply = Request(new JsonObject
        {
            ["cmd"] = "run", ["model"] = Path.GetFullPath(modelJson), ["inputs"] = inputSpecs,
            ["outputs"] = new JsonArray(outputs.Select(o => (JsonNode)o).ToArray()), ["outDir"] = dir,
        });
        var result = reply["outputs"]!.AsArray().Select(o => FloatTensor.Read(
            o!["file"]!.GetValue<string>(), o["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray())).ToList();
        Directory.Delete(dir, recursive: true);
        return result;
    }

    /// <summary>Decodes a JPEG, crops the box (pixels: x0, y0, x1, y1) and resizes it bilinearly: RGB 0..255, [1,h,w,3].</summary>
    public FloatTensor Crop(string jpegPath, (double X0, double Y0, double X1, double Y1) box, int height, int width)
    {
        var file = Path.Combine(WorkDir, $"crop{Interlocked.Increment(ref _requests)}.bin");
        Request(new JsonObject
        {
            ["cmd"] = "crop", ["image"] = Path.GetFullPath(jpegPath),
            ["box"] = new JsonArray(box.X0, box.Y0, box.X1, box.Y1), ["size"] = new JsonArray(height, width), ["file"] = file,
        });
        var tensor = FloatTensor.Read(file, [1, height, width, 3]);
        File.Delete(file);
        return tensor;
    }

    private JsonNode Request(JsonObject request)
    {
        lock (_gate)
        {
            _node.StandardInput.WriteLine(request.ToJsonString());
            _node.StandardInput.Flush();
            while (true)
            {
                var line = _node.StandardOutput.ReadLine()
                    ?? throw new InvalidOperationException($"the tfjs reference runner exited: {Stderr()}");
                if (!line.StartsWith(ReplyPrefix, StringComparison.Ordinal)) continue;
                var reply = JsonNode.Parse(line[ReplyPrefix.Length..])!;
                if (!reply["ok"]!.GetValue<bool>())
                    throw new InvalidOperationException($"tfjs reference failed: {reply["error"]}");
                return reply;
            }
        }
    }

    private string Stderr()
    {
        lock (_stderr) return _stderr.ToString();
    }

    private static JsonArray ToJson(int[] shape) => new(shape.Select(d => (JsonNode)d).ToArray());

    public void Dispose()
    {
        try
        {
            _node.StandardInput.Close();
            if (!_node.WaitForExit(10_000)) _node.Kill();
        }
        catch (InvalidOperationException) { }
        _node.Dispose();
        try { Directory.Delete(WorkDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>All tests that talk to the tfjs reference share one node process.</summary>
[CollectionDefinition(Name)]
public sealed class TfjsReferenceCollection : ICollectionFixture<TfjsReference>
{
    public const string Name = "tfjs-reference";
}
