using System.CommandLine;

namespace FaceMatch.Cli.Commands;

/// <summary>Every top-level `facematch` subcommand, in the order help lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create() =>
    [
        ServeCommand.Create(),
        AdminCommands.Create(),
        HealthCommand.Create(),
        ModelsCommand.Create(),
        DevDataCommand.Create(),
        DatasetCommand.Create(),
        BenchCommand.Create(),
        .. VisionCommands.Create(),
    ];
}
