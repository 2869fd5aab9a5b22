using System.CommandLine;
using FaceMatch.Api.V1;
using FaceMatch.Client;
using FaceMatch.Server.Security;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMatch.Cli.Commands;

/// <summary>
/// `facematch admin ...`: the operators' commands, through <see cref="FaceMatchAdminClient"/> against a running
/// server, with the admin token from FACEMATCH_ADMIN_TOKEN or the file the server wrote
/// (&lt;FACEMATCH_DATA&gt;/admin.token). Each prints the answer as JSON (protobuf's JSON mapping); a failed call prints
/// the status and exits 1, a bad argument exits 2.
/// </summary>
internal static class AdminCommands
{
    private static readonly ServerConnection Connection = new(ServerConnection.LocalServer,
        "Server address (default http://127.0.0.1:$FACEMATCH_PORT, else 50051; https://… for TLS)");

    public static Command Create()
    {
        var tenantId = new Option<string>("--tenant") { Description = "Tenant id", Required = true };
        var name = new Argument<string>("name") { Description = "Tenant name" };
        var tenant = new Command("tenant", "Create, list or delete tenants.")
        {
            Leaf("create", "Create a tenant.", [name], async (c, r, ct) => await c.CreateTenantAsync(r.GetValue(name)!, ct)),
            Leaf("list", "List the tenants.", [], async (c, _, ct) => new ListTenantsResponse { Tenants = { await c.ListTenantsAsync(ct) } }),
            Leaf("delete", "Delete a tenant (crypto-shred its data; its tokens stop working at once).", [tenantId],
                async (c, r, ct) => new DeleteTenantResponse { Deleted = await c.DeleteTenantAsync(r.GetValue(tenantId)!, ct) }),
        };

        var mode = new Option<string>("--mode") { Description = "development or production", Required = true };
        var tokenId = new Argument<string>("token-id") { Description = "Token id (as printed by issue)" };
        var token = new Command("token", "Issue or revoke tenant tokens.")
        {
            Leaf("issue", "Issue a token (printed once).", [tenantId, mode], async (c, r, ct) => await c.IssueTokenAsync(r.GetValue(tenantId)!,
                r.GetValue(mode)?.ToLowerInvariant() switch
                {
                    "development" or "dev" => TokenMode.Development,
                    "production" or "prod" => TokenMode.Production,
                    var other => throw new ArgumentException($"--mode '{other}' is not development or production"),
                }, ct)),
            Leaf("revoke", "Revoke a token.", [tokenId], async (c, r, ct) => new RevokeTokenResponse { Revoked = await c.RevokeTokenAsync(r.GetValue(tokenId)!, ct) }),
        };

        var liveness = new Option<string?>("--liveness") { Description = "required, advisory or challenge" };
        var templateDays = new Option<uint?>("--template-retention-days") { Description = "Days since last use (0: until deleted)" };
        var captureDays = new Option<uint?>("--dev-capture-retention-days");
        var usageDays = new Option<uint?>("--usage-retention-days") { Description = "At most 730" };
        var threshold = new Option<float?>("--match-threshold") { Description = "0: the server's default" };
        var livenessThreshold = new Option<float?>("--liveness-threshold") { Description = "Session liveness score for live, 0..1 (0: the server's default)" };
        var duplicates = new Option<bool?>("--duplicate-check") { Description = "true: Enroll refuses a face already enrolled in the tenant" };
        var storage = new Option<string?>("--gallery-storage") { Description = "float32 or int8 (a quarter of the memory; scores stay exact), or default (the server's)" };
        var policy = new Command("policy", "Read or change a tenant's policy.")
        {
            Leaf("get", "Print the tenant and its policy.", [tenantId], async (c, r, ct) => await c.GetPolicyAsync(r.GetValue(tenantId)!, ct)),
            Leaf("set", "Change the named fields of the policy; the others keep their values.", [tenantId, liveness, templateDays, captureDays, usageDays, threshold, livenessThreshold, duplicates, storage], async (c, r, ct) =>
            {
                // Checked before any call, so a bad value changes nothing.
                LivenessMode? newLiveness = r.GetValue(liveness)?.ToLowerInvariant() switch
                {
                    null => null,
                    "required" => LivenessMode.Required,
                    "advisory" => LivenessMode.Advisory,
                    "challenge" => LivenessMode.Challenge,
                    var l => throw new ArgumentException($"--liveness '{l}' is not required, advisory or challenge"),
                };
                GalleryStorage? newStorage = r.GetValue(storage)?.ToLowerInvariant() switch
                {
                    null => null,
                    "float32" => GalleryStorage.Float32,
                    "int8" => GalleryStorage.Int8,
                    "default" => GalleryStorage.Unspecified,
                    var g => throw new ArgumentException($"--gallery-storage '{g}' is not float32, int8 or default"),
                };
                return await c.UpdatePolicyAsync(r.GetValue(tenantId)!, current =>
                {
                    if (newLiveness is { } l) current.Liveness = l;
                    if (r.GetValue(templateDays) is { } t) current.TemplateRetentionDays = t;
                    if (r.GetValue(captureDays) is { } d) current.DevCaptureRetentionDays = d;
                    if (r.GetValue(usageDays) is { } u) current.UsageRetentionDays = u;
                    if (r.GetValue(threshold) is { } m) current.MatchThreshold = m;
                    if (r.GetValue(livenessThreshold) is { } lt) current.LivenessThreshold = lt;
                    if (r.GetValue(duplicates) is { } dc) current.DuplicateCheck = dc;
                    if (newStorage is { } gs) current.GalleryStorage = gs;
                }, ct);
            }),
        };

        var usage = Leaf("usage", "A tenant's usage counters and sessions by outcome.", [tenantId],
            async (c, r, ct) => await c.GetUsageAsync(r.GetValue(tenantId)!, ct));

        var admin = new Command("admin", "Operate a running server: tenants, tokens, policies, usage, duplicate sweeps.")
        {
            tenant, token, policy, usage, Duplicates(tenantId),
        };
        foreach (var option in Connection.All)
        {
            option.Recursive = true;
            admin.Options.Add(option);
        }
        return admin;
    }

    /// <summary>
    /// `facematch admin duplicates`: the tenant's duplicate sweep. Each pair is printed as it arrives, one JSON object
    /// per line on stdout; progress goes to stderr (with --progress); a last line says how many pairs were found.
    /// Ctrl-C cancels the sweep on the server.
    /// </summary>
    private static Command Duplicates(Option<string> tenantId)
    {
        var threshold = new Option<float>("--threshold") { Description = "Cosine at or above which a pair is reported (default 0: the tenant's match threshold)" };
        var progress = new Option<bool>("--progress") { Description = "Print the sweep's progress on stderr" };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds to give the sweep (default: no limit of the client's; the server caps calls)" };
        var command = new Command("duplicates", "Every pair of a tenant's templates scoring at least a threshold (one JSON object a line).");
        foreach (var o in new Option[] { tenantId, threshold, progress, timeout }) command.Options.Add(o);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                if (parse.GetValue(timeout) is <= 0) throw new ArgumentException("--timeout must be a positive number of seconds");
                using var client = new FaceMatchAdminClient(Connection.ClientOptions(parse, AdminTokenValue()));
                var limit = parse.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
                FindDuplicatesResponse? last = null;
                await foreach (var message in client.FindDuplicatesAsync(parse.GetValue(tenantId)!, parse.GetValue(threshold), limit, cancellationToken))
                {
                    foreach (var pair in message.Pairs) Console.WriteLine(JsonFormatter.Default.Format(pair));
                    if (parse.GetValue(progress))
                        Console.Error.WriteLine($"{message.Progress * 100:F1}%: {message.TemplatesDone}/{message.TemplatesTotal} templates, {message.PairsFound} pairs");
                    last = message;
                }
                Console.WriteLine(JsonFormatter.Default.Format(new FindDuplicatesResponse
                {
                    Done = last?.Done ?? false, PairsFound = last?.PairsFound ?? 0, TemplatesTotal = last?.TemplatesTotal ?? 0,
                    TemplatesDone = last?.TemplatesDone ?? 0, Progress = last?.Progress ?? 0, Threshold = last?.Threshold ?? 0,
                }));
                return 0;
            }
            catch (RpcException e)
            {
                Console.Error.WriteLine($"facematch admin duplicates: {e.StatusCode}: {e.Status.Detail}");
                return 1;
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("facematch admin duplicates: cancelled");
                return 130;
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine($"facematch admin duplicates: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>FACEMATCH_ADMIN_TOKEN, else the token file the server generated in its data directory.</summary>
    private static string AdminTokenValue()
    {
        if (Environment.GetEnvironmentVariable(AdminToken.Variable) is { Length: > 0 } fromEnvironment) return fromEnvironment.Trim();
        var path = AdminToken.PathIn(CliPaths.DataDirectory());
        return File.Exists(path) ? File.ReadAllText(path).Trim()
            : throw new ArgumentException($"no admin token: set {AdminToken.Variable} or run where the server's data directory is ({path} missing)");
    }

    private static Command Leaf(string name, string description, Symbol[] symbols, Func<FaceMatchAdminClient, ParseResult, CancellationToken, Task<IMessage>> call)
    {
        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            if (symbol is Option option) command.Options.Add(option);
            else if (symbol is Argument argument) command.Arguments.Add(argument);
        }
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var client = new FaceMatchAdminClient(Connection.ClientOptions(parse, AdminTokenValue()));
                Console.WriteLine(JsonFormatter.Default.Format(await call(client, parse, cancellationToken)));
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
}
