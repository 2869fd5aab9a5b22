// Enrols a person from the first photo of a folder, then authenticates every other photo against that template,
// printing each frame's feedback as the server sends it. Each photo plays the part of a camera: it is sent as a few
// frames, 100 ms apart, stamped with a real clock.
//
//   FACEMATCH_TOKEN=<tenant token> dotnet run --project samples/EnrollAndAuthenticate -- \
//       --server https://facematch.example:50051 [--ca-cert ca.pem] PHOTO_FOLDER
//
// A still photo is no live face: under a tenant policy of REQUIRED liveness the sessions end with reason not_live.
// Try it with a tenant whose policy is ADVISORY (`facematch admin policy set --tenant ID --liveness advisory`).
using System.Diagnostics;
using System.Runtime.CompilerServices;
using FaceMatch.Api.V1;
using FaceMatch.Client;
using Grpc.Core;

string? server = null, caCert = null, folder = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--server" when i + 1 < args.Length: server = args[++i]; break;
        case "--ca-cert" when i + 1 < args.Length: caCert = args[++i]; break;
        default: folder = args[i]; break;
    }
}
var token = Environment.GetEnvironmentVariable("FACEMATCH_TOKEN");
if (server is null || folder is null || string.IsNullOrEmpty(token))
{
    Console.Error.WriteLine("usage: FACEMATCH_TOKEN=<tenant token> EnrollAndAuthenticate --server URL [--ca-cert ca.pem] PHOTO_FOLDER");
    return 2;
}
var photos = Directory.GetFiles(folder).Where(p => Path.GetExtension(p).ToLowerInvariant() is ".jpg" or ".jpeg" or ".png" or ".webp").Order().ToArray();
if (photos.Length < 2)
{
    Console.Error.WriteLine($"{folder}: needs at least two photos (one to enrol, one to authenticate)");
    return 2;
}

using var client = new FaceMatchClient(new FaceMatchClientOptions
{
    Address = new Uri(server),
    Token = token,
    CaCertificates = caCert is null ? null : FaceMatchClientOptions.LoadCaCertificates(caCert),
    Device = new DeviceInfo { SdkVersion = "EnrollAndAuthenticate sample", OsVersion = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
});

try
{
    Console.WriteLine($"enrol {Path.GetFileName(photos[0])}");
    var enrolled = await client.EnrollAsync(AsCamera(photos[0]), PrintFeedback);
    if (!enrolled.Enrolled)
    {
        Console.WriteLine($"  not enrolled: {enrolled.Reason}");
        return 1;
    }
    Console.WriteLine($"  template {enrolled.TemplateId}");

    foreach (var photo in photos.Skip(1))
    {
        Console.WriteLine($"authenticate {Path.GetFileName(photo)}");
        var result = await client.AuthenticateAsync(enrolled.TemplateId, AsCamera(photo), PrintFeedback);
        Console.WriteLine($"  match {result.Match} score {result.MatchScore:F3} live {result.Live}{(result.Reason.Length > 0 ? " reason " + result.Reason : "")}");
    }
    return 0;
}
catch (RpcException e)
{
    // The server's status: UNAUTHENTICATED for a bad token, INVALID_ARGUMENT for a file that is no image, and so on.
    Console.Error.WriteLine($"{e.StatusCode}: {e.Status.Detail}");
    return 1;
}

static void PrintFeedback(FrameFeedback f) =>
    Console.WriteLine($"  frame {f.FrameIndex}: face {f.FaceFound}, quality {f.Quality:F2}, liveness {f.Liveness:F2}{(f.Hints.Count > 0 ? ", hints " + string.Join(' ', f.Hints) : "")}");

// A camera that films a photo: the same image, three frames 100 ms apart, each stamped when it is "captured".
static async IAsyncEnumerable<SessionFrame> AsCamera(string photo, [EnumeratorCancellation] CancellationToken cancellationToken = default)
{
    var image = await File.ReadAllBytesAsync(photo, cancellationToken);
    var clock = Stopwatch.StartNew();
    for (var frame = 0; frame < 3; frame++)
    {
        if (frame > 0) await Task.Delay(100, cancellationToken);
        yield return new SessionFrame(image, clock.Elapsed);
    }
}
