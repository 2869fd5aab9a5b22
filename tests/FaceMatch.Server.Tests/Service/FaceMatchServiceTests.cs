using System.Runtime.InteropServices;
using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;

namespace FaceMatch.Server.Tests.Service;

/// <summary>The facematch.v1 service end to end: a real `facematch serve` over loopback, Grpc.Net.Client, ../shared's photos.</summary>
public sealed partial class FaceMatchServiceTests(ServiceFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ServiceFixture>
{
    private static byte[] Photo(string path) => File.ReadAllBytes(path);

    /// <summary>A session of one photo sent three times (ADVISORY tenants: liveness is scored, not required).</summary>
    private static IEnumerable<byte[]> Still(string path, int frames = 3) => Enumerable.Repeat(Photo(path), frames);

    private async Task<SessionDriver.Outcome> Enroll(string token, IEnumerable<byte[]> frames) =>
        await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(token)), new SessionStart { Device = new DeviceInfo { DeviceId = "device-e2e-0001" } }, frames);

    private async Task<SessionDriver.Outcome> Authenticate(string token, string templateId, IEnumerable<byte[]> frames) =>
        await SessionDriver.RunAsync(fixture.Client.Authenticate(ServiceFixture.As(token)), new SessionStart { TemplateId = templateId }, frames);

    private async Task<SessionDriver.Outcome> Identify(string token, IEnumerable<byte[]> frames, uint topK = 3) =>
        await SessionDriver.RunAsync(fixture.Client.Identify(ServiceFixture.As(token)), new SessionStart { TopK = topK }, frames);

    [Fact]
    public async Task Tokens_and_tenants_resolve_to_the_contract_statuses()
    {
        var (tenantId, prod, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var compare = new CompareRequest { ImageA = ByteString.CopyFrom(new byte[] { 1 }), ImageB = ByteString.CopyFrom(new byte[] { 1 }) };

        async Task<StatusCode> Status(Func<Task> call)
        {
            try { await call(); return StatusCode.OK; }
            catch (RpcException e) { return e.StatusCode; }
        }

        Assert.Equal(StatusCode.Unauthenticated, await Status(() => fixture.Client.CompareAsync(compare, deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync));
        Assert.Equal(StatusCode.Unauthenticated, await Status(() => fixture.Client.CompareAsync(compare, ServiceFixture.As("fm_not_a_real_token")).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await Status(() => fixture.Admin.ListTenantsAsync(new ListTenantsRequest(), ServiceFixture.As(prod)).ResponseAsync));
        Assert.Equal(StatusCode.PermissionDenied, await Status(() => fixture.Client.CompareAsync(compare, fixture.AsAdmin()).ResponseAsync));
        // A valid token reaches the service: a one-byte "image" is a bad argument, not an auth failure.
        Assert.Equal(StatusCode.InvalidArgument, await Status(() => fixture.Client.CompareAsync(compare, ServiceFixture.As(prod)).ResponseAsync));

        var second = await fixture.Admin.IssueTokenAsync(new IssueTokenRequest { TenantId = tenantId, Mode = TokenMode.Production }, fixture.AsAdmin());
        Assert.True((await fixture.Admin.RevokeTokenAsync(new RevokeTokenRequest { TokenId = second.TokenId }, fixture.AsAdmin())).Revoked);
        Assert.Equal(StatusCode.Unauthenticated, await Status(() => fixture.Client.CompareAsync(compare, ServiceFixture.As(second.Token)).ResponseAsync));

        Assert.Contains((await fixture.Admin.ListTenantsAsync(new ListTenantsRequest(), fixture.AsAdmin())).Tenants, t => t.TenantId == tenantId);
        Assert.True((await fixture.Admin.DeleteTenantAsync(new DeleteTenantRequest { TenantId = tenantId }, fixture.AsAdmin())).Deleted);
        Assert.Equal(StatusCode.Unauthenticated, await Status(() => fixture.Client.CompareAsync(compare, ServiceFixture.As(prod)).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, await Status(() => fixture.Admin.GetPolicyAsync(new GetPolicyRequest { TenantId = tenantId }, fixture.AsAdmin()).ResponseAsync));
    }

    /// <summary>A template of several photos: one Enroll session, then one sample-adding session per further photo.</summary>
    private async Task<string> EnrollAll(string token, IEnumerable<string> photos)
    {
        string? id = null;
        foreach (var photo in photos)
        {
            var session = await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(token)), new SessionStart { TemplateId = id ?? "" }, Still(photo));
            // A photo under the quality bar is refused as a sample (it stays a probe); nothing else may fail.
            if (session.Result.Reason == "low_quality") continue;
            Assert.True(session.Result.Enrolled, $"{Path.GetFileName(photo)}: {session.Result.Reason}");
            id = session.Result.TemplateId;
        }
        return id ?? throw new InvalidOperationException("no photo good enough to enrol");
    }

    /// <summary>
    /// Leave one out, as an SDK enrols a person from several captures and later verifies a new one: every genuine photo
    /// of good enough quality is checked against a template of the person's other photos (authenticate, and identify in
    /// a tenant holding everyone else's templates), and every photo against every other person's template.
    /// </summary>
    [Fact]
    public async Task Every_genuine_photo_matches_its_person_only_and_is_identified_first()
    {
        var (tenantId, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var people = ServiceFixture.People(photos: 2).Take(4).ToList();
        var full = new Dictionary<string, string>();
        foreach (var (person, photos) in people) full[person] = await EnrollAll(token, photos);

        foreach (var (person, photos) in people)
        {
            // The person's full template leaves the tenant while their photos are probes: only the held-out template is theirs.
            await fixture.Client.DeleteTemplateAsync(new TemplateRef { TemplateId = full[person] }, ServiceFixture.As(token));
            foreach (var probe in photos)
            {
                var template = await EnrollAll(token, photos.Where(p => p != probe));
                var genuine = await Authenticate(token, template, Still(probe, 1));
                Assert.Equal(template, genuine.Result.TemplateId);
                // A probe the server flagged as under the quality bar (its feedback told the user to retake it) may
                // miss; every other genuine probe must match and be identified first.
                if (genuine.Feedback.Single().Quality >= 0.3f)
                {
                    Assert.True(genuine.Result.Match, $"{Path.GetFileName(probe)} vs {person}'s other photos: {genuine.Result.MatchScore} {genuine.Result.Reason}");
                    var found = await Identify(token, Still(probe, 1));
                    Assert.Equal(template, found.Result.Candidates.FirstOrDefault()?.TemplateId);
                }
                foreach (var other in people.Where(p => p.Person != person))
                {
                    var impostor = await Authenticate(token, full[other.Person], Still(probe, 1));
                    Assert.False(impostor.Result.Match, $"{Path.GetFileName(probe)} vs {other.Person}: {impostor.Result.MatchScore}");
                    Assert.Equal("no_match", impostor.Result.Reason);
                }
                await fixture.Client.DeleteTemplateAsync(new TemplateRef { TemplateId = template }, ServiceFixture.As(token));
            }
            full[person] = await EnrollAll(token, photos);
        }

        var usage = await fixture.Admin.GetUsageAsync(new GetUsageRequest { TenantId = tenantId }, fixture.AsAdmin());
        Assert.Equal((ulong)people.Count, usage.Templates);
        Assert.True(usage.SessionsByOutcome["ok"] >= (ulong)people.Count);
        Assert.True(usage.SessionsByOutcome["no_match"] >= 1);
    }

    [Fact]
    public async Task Erased_templates_are_not_found_and_never_identified_and_tenants_do_not_see_each_other()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var (_, otherToken, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var (_, photos) = ServiceFixture.People(photos: 2)[0];
        var id = (await Enroll(token, Still(photos[0]))).Result.TemplateId;

        var export = await fixture.Client.ExportTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(token));
        Assert.Equal(id, export.TemplateId);
        Assert.False(export.Template.IsEmpty);

        var foreign = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.ExportTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(otherToken)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, foreign.StatusCode);
        var foreignAuth = await Assert.ThrowsAsync<RpcException>(() => Authenticate(otherToken, id, Still(photos[1], 1)));
        Assert.Equal(StatusCode.NotFound, foreignAuth.StatusCode);
        Assert.Empty((await Identify(otherToken, Still(photos[1], 1))).Result.Candidates);

        Assert.True((await fixture.Client.DeleteTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(token))).Deleted);
        var gone = await Assert.ThrowsAsync<RpcException>(() => Authenticate(token, id, Still(photos[1], 1)));
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        Assert.Equal(foreign.Status.Detail, gone.Status.Detail);
        Assert.DoesNotContain((await Identify(token, Still(photos[1], 1))).Result.Candidates, c => c.TemplateId == id);
        var again = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.DeleteTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(token)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Feedback_for_each_frame_arrives_before_the_next_frame_is_sent()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var photo = Photo(ServiceFixture.People(photos: 1)[0].Photos[0]);
        using var call = fixture.Client.Enroll(ServiceFixture.As(token));
        await call.RequestStream.WriteAsync(new SessionRequest { Start = new SessionStart() });
        await call.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(photo), CaptureTimeMs = 1 } });
        // Frame 2 has not been sent: frame 1's feedback must already come.
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SessionEvent.KindOneofCase.Feedback, call.ResponseStream.Current.KindCase);
        Assert.Equal(0u, call.ResponseStream.Current.Feedback.FrameIndex);
        Assert.True(call.ResponseStream.Current.Feedback.FaceFound);
        // The face's box, as fractions of the frame: where the camera preview draws it.
        var box = call.ResponseStream.Current.Feedback.FaceBox;
        Assert.NotNull(box);
        Assert.InRange(box.Width, 0.05f, 1f);
        Assert.InRange(box.Height, 0.05f, 1f);
        Assert.InRange(box.X + box.Width, 0f, 1.0001f);
        Assert.InRange(box.Y + box.Height, 0f, 1.0001f);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(SessionEvent.KindOneofCase.Result, call.ResponseStream.Current.KindCase);
    }

    [Fact]
    public async Task A_printed_photo_replayed_as_a_moving_stream_fails_liveness_when_required()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Required);
        var photo = Photo(ServiceFixture.People(photos: 1)[0].Photos[0]);
        var replay = await Enroll(token, SessionDriver.ReplayedPhoto(photo, frames: 5));
        Assert.Equal("not_live", replay.Result.Reason);
        Assert.False(replay.Result.Live);
        Assert.False(replay.Result.Enrolled);
        Assert.All(replay.Feedback, f => Assert.True(f.FaceFound));
        // The same still photo resent: no motion at all is no evidence of life either.
        Assert.Equal("not_live", (await Enroll(token, Still(ServiceFixture.People(photos: 1)[0].Photos[0], 5))).Result.Reason);
    }

    [Fact]
    public async Task Bad_sessions_get_the_contract_statuses_and_the_server_keeps_serving()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var photo = Photo(ServiceFixture.People(photos: 1)[0].Photos[0]);

        async Task<RpcException> Fails(Func<AsyncDuplexStreamingCall<SessionRequest, SessionEvent>, Task> send)
        {
            using var call = fixture.Client.Enroll(ServiceFixture.As(token));
            return await Assert.ThrowsAsync<RpcException>(async () =>
            {
                await send(call);
                await call.RequestStream.CompleteAsync();
                while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
            });
        }

        var notStart = await Fails(c => c.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(photo) } }));
        Assert.Equal(StatusCode.InvalidArgument, notStart.StatusCode);
        Assert.Contains("start", notStart.Status.Detail);

        var notImage = await Fails(async c =>
        {
            await c.RequestStream.WriteAsync(new SessionRequest { Start = new SessionStart() });
            await c.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFromUtf8("this is not a JPEG at all, just text") } });
        });
        Assert.Equal(StatusCode.InvalidArgument, notImage.StatusCode);
        Assert.StartsWith("image not decodable", notImage.Status.Detail);

        var oversized = await Fails(async c =>
        {
            await c.RequestStream.WriteAsync(new SessionRequest { Start = new SessionStart() });
            await c.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(new byte[3 * 1024 * 1024 + 1]) } });
        });
        Assert.Equal(StatusCode.ResourceExhausted, oversized.StatusCode);

        var tooMany = await Fails(async c =>
        {
            await c.RequestStream.WriteAsync(new SessionRequest { Start = new SessionStart() });
            // A text-free 1-byte-short frame each time would fail decoding first; a face-less tiny PNG passes decoding.
            var blank = FaceMatch.Vision.Imaging.Encoders.PngEncoder.Encode(FaceMatch.Vision.Imaging.RgbImage.Allocate(32, 32));
            for (var i = 0; i < 31; i++)
            {
                await c.RequestStream.WriteAsync(new SessionRequest { Frame = new Frame { Image = ByteString.CopyFrom(blank), CaptureTimeMs = 100 * i } });
                if (!await c.ResponseStream.MoveNext(CancellationToken.None)) break;
            }
        });
        Assert.Equal(StatusCode.ResourceExhausted, tooMany.StatusCode);
        Assert.Contains("at most 30 frames", tooMany.Status.Detail);

        var health = await new Health.HealthClient(fixture.Channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(20));
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.True((await Enroll(token, Still(ServiceFixture.People(photos: 1)[0].Photos[0]))).Result.Enrolled);
    }

    [Fact]
    public async Task Compare_scores_two_photos_without_storing_anything()
    {
        var (tenantId, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var (_, photos) = ServiceFixture.People(photos: 2)[0];
        var (_, others) = ServiceFixture.People(photos: 2)[1];
        var same = await fixture.Client.CompareAsync(new CompareRequest { ImageA = ByteString.CopyFrom(Photo(photos[0])), ImageB = ByteString.CopyFrom(Photo(photos[1])) }, ServiceFixture.As(token));
        var different = await fixture.Client.CompareAsync(new CompareRequest { ImageA = ByteString.CopyFrom(Photo(photos[0])), ImageB = ByteString.CopyFrom(Photo(others[0])) }, ServiceFixture.As(token));
        Assert.True(same.Match, $"{same.Score}");
        Assert.False(different.Match, $"{different.Score}");
        Assert.True(same.Score > different.Score);
        var usage = await fixture.Admin.GetUsageAsync(new GetUsageRequest { TenantId = tenantId }, fixture.AsAdmin());
        Assert.Equal(2ul, usage.Compares);
        Assert.Equal(0ul, usage.Templates);
    }

    [Fact]
    public async Task Enrolling_with_a_template_id_adds_samples_to_that_template()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var (_, photos) = ServiceFixture.People(photos: 3)[0];
        var id = (await Enroll(token, Still(photos[0]))).Result.TemplateId;
        var before = await fixture.Client.ExportTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(token));

        var added = await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(token)), new SessionStart { TemplateId = id }, Still(photos[1]));
        Assert.True(added.Result.Enrolled, added.Result.Reason);
        Assert.Equal(id, added.Result.TemplateId);
        var after = await fixture.Client.ExportTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(token));
        Assert.NotEqual(before.Template, after.Template);
        Assert.True((await Authenticate(token, id, Still(photos[1], 1))).Result.Match);

        var unknown = await Assert.ThrowsAsync<RpcException>(() =>
            SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(token)), new SessionStart { TemplateId = "no-such-template" }, Still(photos[1], 1)));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Production_sessions_leave_no_image_bytes_device_ids_or_tokens_on_disk_or_in_the_log()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var photo = Photo(ServiceFixture.People(photos: 2)[0].Photos[1]);
        const string device = "prod-device-7f3a9c21-uuid";
        var enrolled = await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(token)),
            new SessionStart { Device = new DeviceInfo { DeviceId = device, SdkVersion = "sdk-1.0" } }, Still(ServiceFixture.People(photos: 2)[0].Photos[0]));
        await SessionDriver.RunAsync(fixture.Client.Authenticate(ServiceFixture.As(token)),
            new SessionStart { TemplateId = enrolled.Result.TemplateId, Device = new DeviceInfo { DeviceId = device } }, Enumerable.Repeat(photo, 2));

        // 64 bytes from the middle of the entropy-coded data: present in any copy of the image, in no other file.
        var probe = photo.AsSpan(photo.Length / 2, 64).ToArray();
        var deviceBytes = System.Text.Encoding.UTF8.GetBytes(device);
        var tokenBytes = System.Text.Encoding.UTF8.GetBytes(token);
        foreach (var file in Directory.EnumerateFiles(fixture.Serve.DataDirectory, "*", SearchOption.AllDirectories))
        {
            byte[] bytes;
            try { bytes = await File.ReadAllBytesAsync(file); }
            catch (IOException) { continue; }   // a file the store holds open for writing, being replaced
            Assert.True(bytes.AsSpan().IndexOf(probe) < 0, $"image bytes in {file}");
            Assert.True(bytes.AsSpan().IndexOf(deviceBytes) < 0, $"raw device id in {file}");
            Assert.True(bytes.AsSpan().IndexOf(tokenBytes) < 0, $"token in {file}");
        }
        var log = string.Join('\n', fixture.Serve.Lines) + await Task.FromResult("");
        Assert.DoesNotContain(token, log);
        Assert.DoesNotContain(fixture.AdminTokenValue, log);
        Assert.DoesNotContain(device, log);
        Assert.Contains(fixture.Serve.Lines, l => l.Contains("session ") && l.Contains(" Authenticate ended ok"));
    }

    /// <summary>
    /// Admin.FindDuplicates over a tenant of one template per photo, against the brute-force reference computed here
    /// from the exported (protected) templates: every pair at or above the threshold, once, nothing else.
    /// </summary>
    [Fact]
    public async Task A_duplicate_sweep_streams_every_pair_above_the_threshold_and_counts_in_usage()
    {
        var (tenantId, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var photos = ServiceFixture.People(photos: 2).Take(4).SelectMany(p => p.Photos).ToList();
        var templates = new Dictionary<string, float[]>();
        var photoOf = new Dictionary<string, string>();
        foreach (var photo in photos)
        {
            var enrolled = await Enroll(token, Still(photo));
            if (!enrolled.Result.Enrolled) continue; // under the quality bar
            var export = await fixture.Client.ExportTemplateAsync(new TemplateRef { TemplateId = enrolled.Result.TemplateId }, ServiceFixture.As(token));
            templates[export.TemplateId] = MemoryMarshal.Cast<byte, float>(export.Template.Span).ToArray();
            photoOf[export.TemplateId] = photo;
        }
        Assert.True(templates.Count >= 6, $"{templates.Count} templates");
        // One removed template: the sweep must not see it.
        var removed = templates.Keys.First();
        await fixture.Client.DeleteTemplateAsync(new TemplateRef { TemplateId = removed }, ServiceFixture.As(token));
        templates.Remove(removed);

        static double Cosine(float[] a, float[] b)
        {
            double ab = 0, aa = 0, bb = 0;
            for (int i = 0; i < a.Length; i++) { ab += (double)a[i] * b[i]; aa += (double)a[i] * a[i]; bb += (double)b[i] * b[i]; }
            return ab / Math.Sqrt(aa * bb);
        }
        var ids = templates.Keys.ToList();
        var scores = new Dictionary<(string, string), double>();
        for (int i = 0; i < ids.Count; i++)
            for (int j = i + 1; j < ids.Count; j++)
                scores[(ids[i], ids[j])] = Cosine(templates[ids[i]], templates[ids[j]]);
        // A threshold between the pairs' scores, so that some pairs are above it and some below.
        var sorted = scores.Values.Order().ToList();
        float threshold = (float)((sorted[sorted.Count * 3 / 4] + sorted[sorted.Count * 3 / 4 + 1]) / 2);
        var expected = scores.Where(e => e.Value >= threshold).Select(e => e.Key).ToHashSet();
        Assert.NotEmpty(expected);

        async Task<List<FindDuplicatesResponse>> Sweep(float t)
        {
            using var call = fixture.Admin.FindDuplicates(new FindDuplicatesRequest { TenantId = tenantId, Threshold = t }, fixture.AsAdmin());
            var messages = new List<FindDuplicatesResponse>();
            await foreach (var m in call.ResponseStream.ReadAllAsync()) messages.Add(m);
            return messages;
        }
        var sweep = await Sweep(threshold);
        var last = sweep[^1];
        Assert.True(last.Done);
        Assert.Single(sweep, m => m.Done);
        Assert.Equal(1f, last.Progress);
        Assert.Equal((ulong)ids.Count, last.TemplatesTotal);
        Assert.Equal(threshold, last.Threshold);
        var pairs = sweep.SelectMany(m => m.Pairs).ToList();
        Assert.Equal((ulong)pairs.Count, last.PairsFound);
        var found = pairs.Select(p => ids.IndexOf(p.TemplateIdA) < ids.IndexOf(p.TemplateIdB) ? (p.TemplateIdA, p.TemplateIdB) : (p.TemplateIdB, p.TemplateIdA)).ToList();
        Assert.Equal(found.Count, found.Distinct().Count());
        Assert.Equal(expected.OrderBy(e => e), found.OrderBy(e => e));
        foreach (var p in pairs)
            Assert.True(Math.Abs(Cosine(templates[p.TemplateIdA], templates[p.TemplateIdB]) - p.Score) < 1e-4, $"{p.Score}");
        Assert.DoesNotContain(pairs, p => p.TemplateIdA == removed || p.TemplateIdB == removed);

        // Threshold 0: the tenant's match threshold, which is the server's while the policy sets none.
        var compare = await fixture.Client.CompareAsync(new CompareRequest
        {
            ImageA = ByteString.CopyFrom(Photo(photos[0])), ImageB = ByteString.CopyFrom(Photo(photos[1])),
        }, ServiceFixture.As(token));
        var byDefault = await Sweep(0);
        Assert.Equal(compare.Threshold, byDefault[^1].Threshold);
        Assert.All(byDefault.SelectMany(m => m.Pairs), p => Assert.True(p.Score >= compare.Threshold));

        var usage = await fixture.Admin.GetUsageAsync(new GetUsageRequest { TenantId = tenantId }, fixture.AsAdmin());
        Assert.Equal(2UL, usage.DuplicateSweeps);

        // int8 storage: the tenant's gallery is rebuilt compact; the sweep's candidates and an identification's are
        // re-scored from the vault's templates, so the answers stay exact.
        var policy = (await fixture.Admin.GetPolicyAsync(new GetPolicyRequest { TenantId = tenantId }, fixture.AsAdmin())).Policy;
        policy.GalleryStorage = GalleryStorage.Int8;
        await fixture.Admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenantId, Policy = policy }, fixture.AsAdmin());
        var compact = (await Sweep(threshold)).SelectMany(m => m.Pairs).ToList();
        Assert.Equal(pairs.Select(p => (p.TemplateIdA, p.TemplateIdB)).Order(), compact.Select(p => (p.TemplateIdA, p.TemplateIdB)).Order());
        foreach (var p in compact)
            Assert.True(Math.Abs(Cosine(templates[p.TemplateIdA], templates[p.TemplateIdB]) - p.Score) < 1e-4, $"int8: {p.Score}");
        // The photo a template was made from identifies it first, at the exact score Authenticate computes from the vault.
        var someone = ids[^1];
        var identified = (await Identify(token, Still(photoOf[someone], 1), topK: 3)).Result.Candidates;
        Assert.Equal(someone, identified[0].TemplateId);
        var verified = await Authenticate(token, someone, Still(photoOf[someone], 1));
        Assert.True(Math.Abs(verified.Result.MatchScore - identified[0].Score) < 1e-5, $"{identified[0].Score} vs {verified.Result.MatchScore}");
        using (var http = new HttpClient())
        {
            var metrics = await http.GetStringAsync($"http://127.0.0.1:{fixture.Serve.MetricsPort}/metrics");
            Assert.Contains($"facematch_gallery_templates{{tenant=\"{tenantId}\",storage=\"int8\"}} {ids.Count}", metrics);
            Assert.Contains($"facematch_gallery_bytes{{tenant=\"{tenantId}\",part=\"vectors\"}}", metrics);
        }

        async Task<StatusCode> Status(FindDuplicatesRequest request, CallOptions options)
        {
            try
            {
                using var call = fixture.Admin.FindDuplicates(request, options);
                await foreach (var _ in call.ResponseStream.ReadAllAsync()) { }
                return StatusCode.OK;
            }
            catch (RpcException e) { return e.StatusCode; }
        }
        Assert.Equal(StatusCode.NotFound, await Status(new FindDuplicatesRequest { TenantId = "no-such-tenant" }, fixture.AsAdmin()));
        Assert.Equal(StatusCode.InvalidArgument, await Status(new FindDuplicatesRequest { TenantId = tenantId, Threshold = 1.5f }, fixture.AsAdmin()));
        Assert.Equal(StatusCode.InvalidArgument, await Status(new FindDuplicatesRequest { TenantId = tenantId, Threshold = float.NaN }, fixture.AsAdmin()));
        Assert.Equal(StatusCode.PermissionDenied, await Status(new FindDuplicatesRequest { TenantId = tenantId }, ServiceFixture.As(token)));
    }

    [Fact]
    public async Task Duplicate_enrolment_is_refused_under_the_policy_with_the_existing_template_first()
    {
        var (tenantId, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var policy = (await fixture.Admin.GetPolicyAsync(new GetPolicyRequest { TenantId = tenantId }, fixture.AsAdmin())).Policy;
        policy.DuplicateCheck = true;
        policy.LivenessThreshold = 0.6f;
        var updated = await fixture.Admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenantId, Policy = policy }, fixture.AsAdmin());
        Assert.True(updated.Policy.DuplicateCheck);
        Assert.Equal(0.6f, updated.Policy.LivenessThreshold);
        Assert.Equal(LivenessMode.Advisory, updated.Policy.Liveness);

        var people = ServiceFixture.People(photos: 2);
        var first = await Enroll(token, Still(people[0].Photos[0]));
        Assert.True(first.Result.Enrolled);
        var again = await Enroll(token, Still(people[0].Photos[0]));
        Assert.False(again.Result.Enrolled);
        Assert.Equal("duplicate", again.Result.Reason);
        Assert.Equal(first.Result.TemplateId, again.Result.Candidates[0].TemplateId);
        // Someone else is not a duplicate.
        Assert.True((await Enroll(token, Still(people[1].Photos[0]))).Result.Enrolled);

        policy.LivenessThreshold = 1.5f;
        var bad = await Assert.ThrowsAsync<RpcException>(() => fixture.Admin.SetPolicyAsync(new SetPolicyRequest { TenantId = tenantId, Policy = policy }, fixture.AsAdmin()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        Assert.Contains("liveness_threshold", bad.Status.Detail);
    }
}
