using System.Text.Json;
using System.Text.Json.Nodes;

namespace FaceMatch.Cli.Commands;

/// <summary>JSON printing shared by the subcommands: snake_case keys, one object per run.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static void Print(JsonNode node) => Console.WriteLine(node.ToJsonString(Options));

    /// <summary>Prints a failure as {"error": ...} on stdout and returns the exit code for it.</summary>
    public static int Error(string message, int exitCode = 2)
    {
        Print(new JsonObject { ["error"] = message });
        return exitCode;
    }

    /// <summary>Rounds for display so output stays readable without losing what matters.</summary>
    public static double Round(double value, int digits = 6) => Math.Round(value, digits);
}
