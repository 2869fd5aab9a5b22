using System.CommandLine;
using FaceMatch.Cli.Commands;

var root = new RootCommand("FaceMatch: a self-hostable biometric matching server, and its tools.");
foreach (var command in CommandCatalog.Create())
    root.Subcommands.Add(command);
// SIGINT/SIGTERM cancel the command's token; `serve` then stops gracefully (in-flight calls get
// FACEMATCH_GRPC_SHUTDOWN_SECONDS), so the process must not be killed after System.CommandLine's default 2 s.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(60) };
return await root.Parse(args).InvokeAsync(invocation);
