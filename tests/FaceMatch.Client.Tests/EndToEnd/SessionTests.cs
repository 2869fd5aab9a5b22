using System.Runtime.CompilerServices;
using FaceMatch.Api.V1;
using FaceMatch.Client.Tests.Support;
using Grpc.Core;

namespace FaceMatch.Client.Tests.EndToEnd;

/// <summary><see cref="FaceMatchClient"/> against a real `facematch serve` over TLS, on ../shared's photos.</summary>
[Collection(ServeCollection.Name)]
public sealed class SessionTests(ServeFixture fixture)
{
    /// <summary>The person's first photo that enrols (a photo under the quality bar is refused), its template, and the feedback.</summary>
    private static async Task<(string TemplateId, string Photo, List<FrameFeedback> Feedback)> EnrollFirstGood(FaceMatchClient client, string[] photos)
    {
        foreach (var photo in photos)
        {
            var feedback = new List<FrameFeedback>();
            var result = await client.EnrollAsync(Frames.Still(photo), feedback.Add);
            if (result.Reason == "low_quality") continue;
            Assert.True(result.Enrolled, $"{Path.GetFileName(photo)}: {result.Reason}");
            return (result.TemplateId, photo, feedback);
        }
        throw new InvalidOperationException("no photo good enough to enrol");
    }

    [Fact]
    public async Task Enroll_authenticate_identify_export_and_delete()
    {
        var (_, token) = await fixture.NewTenantAsync();
        using var client = new FaceMatchClient(fixture.Options(token));
        var people = Frames.People(photos: 3).Take(3).ToList();
        Assert.True(people.Count >= 2, "needs two people with three photos each in ../shared/data/faces");

        var enrolled = new Dictionary<string, (string TemplateId, string Photo)>();
        foreach (var (person, photos) in people)
        {
            var (templateId, photo, feedback) = await EnrollFirstGood(client, photos);
            Assert.Equal([0u, 1u, 2u], feedback.Select(f => f.FrameIndex));
            Assert.All(feedback, f => Assert.True(f.FaceFound));
            enrolled[person] = (templateId, photo);
        }

        var (alice, alicePhotos) = people[0];
        var (bob, _) = people[1];
        var probe = alicePhotos.First(p => p != enrolled[alice].Photo);
        var genuine = await client.AuthenticateAsync(enrolled[alice].TemplateId, Frames.Still(probe));
        var impostor = await client.AuthenticateAsync(enrolled[bob].TemplateId, Frames.Still(probe));
        Assert.Equal(enrolled[alice].TemplateId, genuine.TemplateId);
        Assert.True(genuine.MatchScore > impostor.MatchScore, $"genuine {genuine.MatchScore} vs impostor {impostor.MatchScore}");
        Assert.True(genuine.Match, $"{alice}: {genuine.MatchScore} ({genuine.Reason})");
        Assert.False(impostor.Match);

        // Identify, reading the feedback as a stream.
        await using (var session = client.StartIdentify(Frames.Still(probe), topK: 3))
        {
            var indices = new List<uint>();
            await foreach (var feedback in session.Feedback) indices.Add(feedback.FrameIndex);
            var identified = await session.Result;
            Assert.Equal([0u, 1u, 2u], indices);
            Assert.Equal(enrolled[alice].TemplateId, identified.Candidates[0].TemplateId);
            Assert.Equal(identified.Candidates.OrderByDescending(c => c.Score).Select(c => c.TemplateId), identified.Candidates.Select(c => c.TemplateId));
        }

        var export = await client.ExportTemplateAsync(enrolled[alice].TemplateId);
        Assert.Equal(enrolled[alice].TemplateId, export.TemplateId);
        Assert.False(export.Template.IsEmpty);
        Assert.NotEmpty(export.Model);

        await client.DeleteTemplateAsync(enrolled[alice].TemplateId);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.AuthenticateAsync(enrolled[alice].TemplateId, Frames.Still(probe)))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.ExportTemplateAsync(enrolled[alice].TemplateId))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.DeleteTemplateAsync(enrolled[alice].TemplateId))).StatusCode);
        var after = await client.IdentifyAsync(Frames.Still(probe), topK: 5);
        Assert.DoesNotContain(after.Candidates, c => c.TemplateId == enrolled[alice].TemplateId);
    }

    [Fact]
    public async Task A_session_the_server_ends_early_stops_reading_the_camera()
    {
        var (_, token) = await fixture.NewTenantAsync();
        using var client = new FaceMatchClient(fixture.Options(token));
        var photo = Frames.People(photos: 3)[0].Photos;
        var (_, good, _) = await EnrollFirstGood(client, photo);
        var image = await File.ReadAllBytesAsync(good);
        var pulled = 0;
        var disposed = false;
        async IAsyncEnumerable<SessionFrame> Camera([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            try
            {
                for (var i = 0; ; i++)
                {
                    await Task.Yield();
                    cancellationToken.ThrowIfCancellationRequested();
                    pulled++;
                    yield return new SessionFrame(image, TimeSpan.FromMilliseconds(1_000 + 100 * i));
                }
            }
            finally
            {
                disposed = true;
            }
        }

        var feedback = 0;
        var result = await client.EnrollAsync(Camera(), _ => feedback++);

        Assert.True(result.Enrolled, result.Reason);
        Assert.Equal(ServeFixture.GoodFramesToFinish, feedback);
        Assert.InRange(pulled, ServeFixture.GoodFramesToFinish, ServeFixture.GoodFramesToFinish + new FaceMatchClientOptions { Address = fixture.Address }.MaxFramesInFlight);
        Assert.True(disposed);
    }

    private sealed class CameraUnplugged() : IOException("camera unplugged");

    [Fact]
    public async Task A_failing_frame_source_is_the_sessions_error_and_ends_the_call()
    {
        var (_, token) = await fixture.NewTenantAsync();
        using var client = new FaceMatchClient(fixture.Options(token));
        var image = await File.ReadAllBytesAsync(Frames.People(photos: 1)[0].Photos[0]);
        async IAsyncEnumerable<SessionFrame> Failing()
        {
            yield return new SessionFrame(image, TimeSpan.FromMilliseconds(100));
            await Task.Yield();
            throw new CameraUnplugged();
        }

        await Assert.ThrowsAsync<CameraUnplugged>(() => client.EnrollAsync(Failing()));
        // The server is none the worse.
        Assert.True(await client.IsServingAsync());
    }

    [Fact]
    public async Task The_contracts_statuses_pass_through()
    {
        var (_, token) = await fixture.NewTenantAsync();
        using var client = new FaceMatchClient(fixture.Options(token));
        var photo = await File.ReadAllBytesAsync(Frames.People(photos: 1)[0].Photos[0]);

        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.AuthenticateAsync("no-such-template", Frames.Still(Frames.People(photos: 1)[0].Photos[0])))).StatusCode);
        async IAsyncEnumerable<SessionFrame> NotAnImage()
        {
            await Task.Yield();
            yield return new SessionFrame("not an image"u8.ToArray(), TimeSpan.FromMilliseconds(100));
        }
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => client.EnrollAsync(NotAnImage()))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => client.CompareAsync(photo, "not an image"u8.ToArray()))).StatusCode);

        using var anonymous = new FaceMatchClient(fixture.Options(token: null));
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => anonymous.CompareAsync(photo, photo))).StatusCode);
        Assert.True(await anonymous.IsServingAsync());
        using var admin = new FaceMatchClient(fixture.Options(fixture.AdminToken));
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => admin.CompareAsync(photo, photo))).StatusCode);
        using var tenantOnAdmin = new FaceMatchAdminClient(fixture.Options(token));
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => tenantOnAdmin.ListTenantsAsync())).StatusCode);
    }

    [Fact]
    public async Task Without_the_private_ca_the_server_is_not_trusted()
    {
        // grpc-dotnet reports a refused certificate as INTERNAL, which is not retried: no retry would change it.
        using var client = new FaceMatchClient(new FaceMatchClientOptions { Address = fixture.Address });
        var e = await Assert.ThrowsAsync<RpcException>(() => client.IsServingAsync());
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Contains("SSL connection could not be established", e.Status.Detail);

        using var other = TestPki.Create("not the server's CA");
        using var wrongCa = new FaceMatchClient(new FaceMatchClientOptions
        {
            Address = fixture.Address,
            CaCertificates = FaceMatchClientOptions.LoadCaCertificates(other.CaPath),
        });
        Assert.Equal(StatusCode.Internal, (await Assert.ThrowsAsync<RpcException>(() => wrongCa.IsServingAsync())).StatusCode);
    }
}
