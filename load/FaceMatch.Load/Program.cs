using System.Text.Json;
using FaceMatch.Load;

// facematch-load --target http://127.0.0.1:50051 [--call health|compare] [--concurrency 16] [--requests 10000] [--duration 30] [--allow-remote] [--ca-cert CA.pem]
//   --call compare also takes --image-a A.jpg --image-b B.jpg and a tenant token (FACEMATCH_TOKEN, or --token).
// Prints one JSON object (requests, errors, rate, latency percentiles in ms, statuses) and exits 0, or 2 on bad arguments.
try
{
    var options = Parse(args);
    var report = await LoadRun.RunAsync(options);
    Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
    return 0;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"facematch-load: {e.Message}");
    return 2;
}

static LoadOptions Parse(string[] args)
{
    Uri? target = null;
    string? imageA = null, imageB = null;
    var o = new LoadOptions { Target = new Uri("http://127.0.0.1:50051"), Token = Environment.GetEnvironmentVariable("FACEMATCH_TOKEN") is { Length: > 0 } t ? t.Trim() : null };
    for (var i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        int Int() => int.TryParse(Next(), out var v) ? v : throw new ArgumentException($"{args[i - 1]} needs a whole number");
        switch (args[i])
        {
            case "--target": target = Uri.TryCreate(Next(), UriKind.Absolute, out var u) ? u : throw new ArgumentException("--target must be a URI like http://127.0.0.1:50051"); break;
            case "--concurrency": o = o with { Concurrency = Int() }; break;
            case "--requests": o = o with { Requests = Int() }; break;
            case "--duration": o = o with { Duration = TimeSpan.FromSeconds(Int()) }; break;
            case "--allow-remote": o = o with { AllowRemote = true }; break;
            case "--call": o = o with { Call = Next() switch { "health" => LoadCall.Health, "compare" => LoadCall.Compare, var c => throw new ArgumentException($"--call {c} is not health or compare") } }; break;
            case "--token": o = o with { Token = Next() }; break;
            case "--ca-cert": o = o with { CaCertificatePath = Next() }; break;
            case "--image-a": imageA = Next(); break;
            case "--image-b": imageB = Next(); break;
            default: throw new ArgumentException($"unknown argument {args[i]}");
        }
    }
    if (imageA is not null && imageB is not null) o = o with { CompareImages = (Read(imageA), Read(imageB)) };
    return target is null ? o : o with { Target = target };

    static byte[] Read(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ArgumentException($"cannot read {path}: {e.Message}", e); }
    }
}
