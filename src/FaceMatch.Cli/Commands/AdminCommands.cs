using System.CommandLine;
using FaceMatch.Api.V1;
using FaceMatch.Server.Security;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch admin ...`: the operators' commands, over Grpc.Net.Client against a running server, with the admin
/// token from FACEMATCH_ADMIN_TOKEN or the file the server wrote (&lt;FACEMATCH_DATA&gt;/admin.token). Each prints the
/// answer as JSON (protobuf's JSON mapping); a failed call prints the status and exits 1.
/// </summary>
internal static class AdminCommands
{
    private static readonly Option<string> Server = new("--server")
    {
        Description = "Server address (default http://127.0.0.1:$FACEMATCH_PORT, else 50051)",
        DefaultValueFactory = _ => "http://127.0.0.1:" + (Environment.GetEnvironmentVariable("FACEMATCH_PORT") is { Length: > 0 } port ? port : "50051"),
    };

    public static Command Create()
    {
        var tenantId = new Option<string>("--tenant") { Description = "Tenant id", Required = true };
        var name = new Argument<string>("name") { Description = "Tenant name" };
        var tenant = new Command("tenant", "Create, list or delete tenants.")
        {
            Leaf("create", "Create a tenant.", [name], (c, r) => c.CreateTenantAsync(new CreateTenantRequest { Name = r.GetValue(name) }, Auth())),
            Leaf("list", "List the tenants.", [], (c, _) => c.ListTenantsAsync(new ListTenantsRequest(), Auth())),
            Leaf("delete", "Delete a tenant (crypto-shred its data; its tokens stop working at once).", [tenantId],
                (c, r) => c.DeleteTenantAsync(new DeleteTenantRequest { TenantId = r.GetValue(tenantId) }, Auth())),
        };

        var mode = new Option<string>("--mode") { Description = "development or production", Required = true };
        var tokenId = new Argument<string>("token-id") { Description = "Token id (as printed by issue)" };
        var token = new Command("token", "Issue or revoke tenant tokens.")
        {
            Leaf("issue", "Issue a token (printed once).", [tenantId, mode], (c, r) => c.IssueTokenAsync(new IssueTokenRequest
            {
                TenantId = r.GetValue(tenantId),
                Mode = r.GetValue(mode)?.ToLowerInvariant() switch
                {
                    "development" or "dev" => TokenMode.Development,
                    "production" or "prod" => TokenMode.Production,
                    var other => throw new ArgumentException($"--mode '{other}' is not development or production"),
                },
            }, Auth())),
            Leaf("revoke", "Revoke a token.", [tokenId], (c, r) => c.RevokeTokenAsync(new RevokeTokenRequest { TokenId = r.GetValue(tokenId) }, Auth())),
        };

        var liveness = new Option<string?>("--liveness") { Description = "required or advisory" };
        var templateDays = new Option<uint?>("--template-retention-days") { Description = "Days since last use (0: until deleted)" };
        var captureDays = new Option<uint?>("--dev-capture-retention-days");
        var usageDays = new Option<uint?>("--usage-retention-days") { Description = "At most 730" };
        var threshold = new Option<float?>("--match-threshold") { Description = "0: the server's default" };
        var livenessThreshold = new Option<float?>("--liveness-threshold") { Description = "Session liveness score for live, 0..1 (0: the server's default)" };
        var duplicates = new Option<bool?>("--duplicate-check") { Description = "true: Enroll refuses a face already enrolled in the tenant" };
        var policy = new Command("policy", "Read or change a tenant's policy.")
        {
            Leaf("get", "Print the tenant and its policy.", [tenantId], (c, r) => c.GetPolicyAsync(new GetPolicyRequest { TenantId = r.GetValue(tenantId) }, Auth())),
            Leaf("set", "Change the named fields of the policy; the others keep their values.", [tenantId, liveness, templateDays, captureDays, usageDays, threshold, livenessThreshold, duplicates], async (c, r) =>
            {
                var current = (await c.GetPolicyAsync(new GetPolicyRequest { TenantId = r.GetValue(tenantId) }, Auth())).Policy;
                if (r.GetValue(liveness) is { } l)
                    current.Liveness = l.ToLowerInvariant() switch
                    {
                        "required" => LivenessMode.Required,
                        "advisory" => LivenessMode.Advisory,
                        _ => throw new ArgumentException($"--liveness '{l}' is not required or advisory"),
                    };
                if (r.GetValue(templateDays) is { } t) current.TemplateRetentionDays = t;
                if (r.GetValue(captureDays) is { } d) current.DevCaptureRetentionDays = d;
                if (r.GetValue(usageDays) is { } u) current.UsageRetentionDays = u;
                if (r.GetValue(threshold) is { } m) current.MatchThreshold = m;
                if (r.GetValue(livenessThreshold) is { } lt) current.LivenessThreshold = lt;
                if (r.GetValue(duplicates) is { } dc) current.DuplicateCheck = dc;
                return await c.SetPolicyAsync(new SetPolicyRequest { TenantId = r.GetValue(tenantId), Policy = current }, Auth());
            }),
        };

        var usage = Leaf("usage", "A tenant's usage counters and sessions by outcome.", [tenantId],
            (c, r) => c.GetUsageAsync(new GetUsageRequest { TenantId = r.GetValue(tenantId) }, Auth()));

        var admin = new Command("admin", "Operate a running server: tenants, tokens, policies, usage.") { tenant, token, policy, usage };
        admin.Options.Add(Server);
        Server.Recursive = true;
        return admin;
    }

    private static CallOptions Auth() => new(new Metadata { { "authorization", "Bearer " + AdminTokenValue() } }, DateTime.UtcNow.AddSeconds(30));

    /// <summary>FACEMATCH_ADMIN_TOKEN, else the token file the server generated in its data directory.</summary>
    private static string AdminTokenValue()
    {
        if (Environment.GetEnvironmentVariable(AdminToken.Variable) is { Length: > 0 } fromEnvironment) return fromEnvironment.Trim();
        var path = AdminToken.PathIn(CliPaths.DataDirectory());
        return File.Exists(path) ? File.ReadAllText(path).Trim()
            : throw new ArgumentException($"no admin token: set {AdminToken.Variable} or run where the server's data directory is ({path} missing)");
    }

    private static Command Leaf(string name, string description, Symbol[] symbols, Func<Admin.AdminClient, ParseResult, Task<IMessage>> call)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            if (symbol is Option option) command.Options.Add(option);
            else if (symbol is Argument argument) command.Arguments.Add(argument);
        }
        command.SetAction(async (parse, _) =>
        {
            try
            {
                using var channel = GrpcChannel.ForAddress(parse.GetValue(Server)!);
                var answer = await call(new Admin.AdminClient(channel), parse);
                Console.WriteLine(JsonFormatter.Default.Format(answer));
                return 0;
            }
            catch (RpcException e)
            {
                Console.Error.WriteLine($"facematch admin {name}: {e.StatusCode}: {e.Status.Detail}");
                return 1;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"facematch admin {name}: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static Command Leaf<T>(string name, string description, Symbol[] symbols, Func<Admin.AdminClient, ParseResult, AsyncUnaryCall<T>> call) where T : IMessage =>
        Leaf(name, description, symbols, async (c, r) => (IMessage)await call(c, r));

    private static Command Leaf<T>(string name, string description, Symbol[] symbols, Func<Admin.AdminClient, ParseResult, Task<T>> call) where T : IMessage =>
        Leaf(name, description, symbols, async (c, r) => (IMessage)await call(c, r));
}
