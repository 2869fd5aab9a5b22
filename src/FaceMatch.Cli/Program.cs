using System.CommandLine;
using FaceMatch.Cli.Commands;

var root = new RootCommand("FaceMatch: a self-hostable biometric matching server, and its tools.");
foreach (var command in CommandCatalog.Create())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
