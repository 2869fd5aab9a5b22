using System.Text.Json;
using FaceMatch.Api.V1;
using FaceMatch.Server.Tests.Service;
using FaceMatch.Server.Tests.Support;
using Google.Protobuf;

namespace FaceMatch.Server.Tests.Web;

/// <summary>
/// The HTTP/JSON API of a real `facematch serve`, called with the real `curl`: the same answers as the gRPC calls,
/// the same authentication (401, 403), tenants siloed (404), HTTP codes for the gRPC statuses, an OpenAPI document
/// listing the routes, and each port serving only its own paths.
/// </summary>
[Collection(HttpServiceCollection.Name)]
public sealed class JsonApiTests(HttpServiceFixture fixture)
{
    private Uri Url(string path) => new(fixture.HttpAddress, path);

    private static string CompareBody(byte[] a, byte[] b) =>
        JsonSerializer.Serialize(new Dictionary<string, string> { ["imageA"] = Convert.ToBase64String(a), ["imageB"] = Convert.ToBase64String(b) });

    [Fact]
    public async Task Compare_over_json_scores_two_photos_as_the_grpc_call_does()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var people = ServiceFixture.People(photos: 2);
        var a = File.ReadAllBytes(people[0].Photos[0]);
        var same = File.ReadAllBytes(people[0].Photos[1]);
        var other = File.ReadAllBytes(people[1].Photos[0]);

        foreach (var b in new[] { same, other })
        {
            var json = await Curl.RunAsync("POST", Url("v1/compare"), token, CompareBody(a, b));
            Assert.Equal(200, json.Status);
            Assert.StartsWith("application/json", json.Headers["content-type"]);
            var grpc = await fixture.Client.CompareAsync(new CompareRequest { ImageA = ByteString.CopyFrom(a), ImageB = ByteString.CopyFrom(b) }, ServiceFixture.As(token));
            Assert.Equal(grpc.Score, json.Json.GetProperty("score").GetSingle());
            Assert.Equal(grpc.Match, json.Json.GetProperty("match").GetBoolean());
            Assert.Equal(grpc.Threshold, json.Json.GetProperty("threshold").GetSingle());
        }

        // Bad input is a 400 with the status's message, as the gRPC call's INVALID_ARGUMENT.
        var notImage = await Curl.RunAsync("POST", Url("v1/compare"), token, CompareBody("not an image"u8.ToArray(), a));
        Assert.Equal(400, notImage.Status);
        Assert.Equal(3, notImage.Json.GetProperty("code").GetInt32());
        Assert.StartsWith("image not decodable", notImage.Json.GetProperty("message").GetString());
        Assert.Equal(400, (await Curl.RunAsync("POST", Url("v1/compare"), token, "{ this is not json")).Status);
    }

    [Fact]
    public async Task A_missing_or_wrong_token_is_401_the_wrong_kind_403_and_another_tenants_template_404()
    {
        var (_, token, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var (_, otherToken, _) = await fixture.NewTenantAsync(LivenessMode.Advisory);
        var photo = File.ReadAllBytes(ServiceFixture.People(photos: 2)[0].Photos[0]);
        var body = CompareBody(photo, photo);

        var missing = await Curl.RunAsync("POST", Url("v1/compare"), null, body);
        Assert.Equal(401, missing.Status);
        Assert.Equal(16, missing.Json.GetProperty("code").GetInt32());
        Assert.Equal(401, (await Curl.RunAsync("POST", Url("v1/compare"), "fm_not_a_real_token", body)).Status);
        Assert.Equal(403, (await Curl.RunAsync("POST", Url("v1/compare"), fixture.AdminTokenValue, body)).Status);
        Assert.Equal(403, (await Curl.RunAsync("GET", Url("v1/admin/tenants"), token)).Status);

        var enrolled = await SessionDriver.RunAsync(fixture.Client.Enroll(ServiceFixture.As(token)), new SessionStart(), [photo, photo]);
        var id = enrolled.Result.TemplateId;
        var export = await Curl.RunAsync("GET", Url($"v1/templates/{id}"), token);
        Assert.Equal(200, export.Status);
        Assert.Equal(id, export.Json.GetProperty("templateId").GetString());
        var grpcExport = await fixture.Client.ExportTemplateAsync(new TemplateRef { TemplateId = id }, ServiceFixture.As(token));
        Assert.Equal(grpcExport.Template.ToBase64(), export.Json.GetProperty("template").GetString());

        var foreign = await Curl.RunAsync("GET", Url($"v1/templates/{id}"), otherToken);
        Assert.Equal(404, foreign.Status);
        Assert.Equal("template not found", foreign.Json.GetProperty("message").GetString());
        Assert.Equal(404, (await Curl.RunAsync("DELETE", Url($"v1/templates/{id}"), otherToken)).Status);

        var deleted = await Curl.RunAsync("DELETE", Url($"v1/templates/{id}"), token);
        Assert.Equal(200, deleted.Status);
        Assert.True(deleted.Json.GetProperty("deleted").GetBoolean());
        Assert.Equal(404, (await Curl.RunAsync("GET", Url($"v1/templates/{id}"), token)).Status);
    }

    [Fact]
    public async Task The_admin_service_works_over_json_from_tenant_to_token_to_usage()
    {
        var admin = fixture.AdminTokenValue;
        var created = await Curl.RunAsync("POST", Url("v1/admin/tenants"), admin, """{"name": "json tenant"}""");
        Assert.Equal(200, created.Status);
        var tenantId = created.Json.GetProperty("tenantId").GetString()!;
        Assert.Equal("json tenant", created.Json.GetProperty("name").GetString());

        var policy = await Curl.RunAsync("PUT", Url($"v1/admin/tenants/{tenantId}/policy"), admin, """{"liveness": "LIVENESS_MODE_ADVISORY", "matchThreshold": 0.95}""");
        Assert.Equal(200, policy.Status);
        Assert.Equal("LIVENESS_MODE_ADVISORY", policy.Json.GetProperty("policy").GetProperty("liveness").GetString());
        var read = await Curl.RunAsync("GET", Url($"v1/admin/tenants/{tenantId}/policy"), admin);
        Assert.Equal(0.95f, read.Json.GetProperty("policy").GetProperty("matchThreshold").GetSingle());

        var issued = await Curl.RunAsync("POST", Url($"v1/admin/tenants/{tenantId}/tokens"), admin, """{"mode": "TOKEN_MODE_PRODUCTION"}""");
        Assert.Equal(200, issued.Status);
        var token = issued.Json.GetProperty("token").GetString()!;
        var photo = File.ReadAllBytes(ServiceFixture.People(photos: 2)[0].Photos[0]);
        var compare = await Curl.RunAsync("POST", Url("v1/compare"), token, CompareBody(photo, photo));
        Assert.Equal(200, compare.Status);
        Assert.Equal(0.95f, compare.Json.GetProperty("threshold").GetSingle());

        var usage = await Curl.RunAsync("GET", Url($"v1/admin/tenants/{tenantId}/usage"), admin);
        Assert.Equal("1", usage.Json.GetProperty("compares").ToString());
        Assert.Contains(tenantId, (await Curl.RunAsync("GET", Url("v1/admin/tenants"), admin)).Body);

        var revoked = await Curl.RunAsync("DELETE", Url($"v1/admin/tokens/{issued.Json.GetProperty("tokenId").GetString()}"), admin);
        Assert.True(revoked.Json.GetProperty("revoked").GetBoolean());
        Assert.Equal(401, (await Curl.RunAsync("POST", Url("v1/compare"), token, CompareBody(photo, photo))).Status);
        Assert.Equal(200, (await Curl.RunAsync("DELETE", Url($"v1/admin/tenants/{tenantId}"), admin)).Status);
        Assert.Equal(404, (await Curl.RunAsync("GET", Url($"v1/admin/tenants/{tenantId}/policy"), admin)).Status);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_json_routes_and_no_streams()
    {
        var document = await Curl.RunAsync("GET", Url("openapi.json"));
        Assert.Equal(200, document.Status);
        var paths = document.Json.GetProperty("paths");
        var routes = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(m => $"{m.Name.ToUpperInvariant()} {p.Name}")).ToHashSet();
        string[] expected =
        [
            "POST /v1/compare", "GET /v1/templates/{templateId}", "DELETE /v1/templates/{templateId}",
            "POST /v1/admin/tenants", "GET /v1/admin/tenants", "DELETE /v1/admin/tenants/{tenantId}",
            "GET /v1/admin/tenants/{tenantId}/policy", "PUT /v1/admin/tenants/{tenantId}/policy",
            "POST /v1/admin/tenants/{tenantId}/tokens", "DELETE /v1/admin/tokens/{tokenId}", "GET /v1/admin/tenants/{tenantId}/usage",
        ];
        // Every annotated call, and nothing else (the sessions are streams: gRPC or the WebSocket endpoint).
        Assert.Equal(expected.Order(), routes.Order());
        Assert.True(document.Json.GetProperty("components").GetProperty("schemas").TryGetProperty("facematch.v1.CompareRequest", out _)
            || document.Json.GetProperty("components").GetProperty("schemas").EnumerateObject().Any(s => s.Name.EndsWith("CompareRequest")));
        Assert.Equal("bearer", document.Json.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task Each_port_serves_only_its_own_paths_and_the_console_is_held_to_a_strict_policy()
    {
        var page = await Curl.RunAsync("GET", Url("console/"));
        Assert.Equal(200, page.Status);
        Assert.Contains("<script src=\"session.js\" defer></script>", page.Body);
        Assert.DoesNotContain("<script>", page.Body);
        Assert.Contains("script-src 'self'", page.Headers["content-security-policy"]);
        Assert.Contains("frame-ancestors 'none'", page.Headers["content-security-policy"]);
        Assert.Equal("nosniff", page.Headers["x-content-type-options"]);
        Assert.Equal("no-referrer", page.Headers["referrer-policy"]);
        Assert.StartsWith("text/javascript", (await Curl.RunAsync("GET", Url("console/session.js"))).Headers["content-type"]);
        Assert.Equal(200, (await Curl.RunAsync("GET", Url("console/compare.html"))).Status);
        var bare = await Curl.RunAsync("GET", Url("console"));
        Assert.Equal(301, bare.Status);
        Assert.EndsWith("/console/", bare.Headers["location"]);

        // The HTTP port serves no gRPC, health or metrics; the gRPC port no console, JSON API or OpenAPI document.
        Assert.Equal(404, (await Curl.RunAsync("GET", Url("metrics"))).Status);
        Assert.Equal(404, (await Curl.RunAsync("POST", Url("grpc.health.v1.Health/Check"), extra: ["-H", "Content-Type: application/grpc"])).Status);
        Assert.Equal(404, (await Curl.RunAsync("GET", Url("console/nothing-here.js"))).Status);
        var grpcPort = new Uri($"http://127.0.0.1:{fixture.Serve.Port}/");
        foreach (var path in new[] { "console/", "openapi.json", "v1/admin/tenants" })
            Assert.Equal(404, (await Curl.RunAsync("GET", new Uri(grpcPort, path), fixture.AdminTokenValue, extra: "--http2-prior-knowledge")).Status);
    }
}
