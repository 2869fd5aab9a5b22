using System.Reflection;
using FaceMatch.Server.Composition;

namespace FaceMatch.Deploy.Tests;

/// <summary>
/// <see cref="ServeConfiguration.AllVariables"/> is what the manifests are checked against, so it must hold every
/// variable the server's libraries declare: one declared but missing from it would fail a manifest that sets it
/// correctly, and one in it that nothing declares would let a manifest set a dead name.
/// </summary>
public sealed class ServerVariablesTests
{
    private static readonly string[] Assemblies = ["FaceMatch.Server", "FaceMatch.Vault", "FaceMatch.Vision", "FaceMatch.Models", "FaceMatch.Matching"];

    [Fact]
    public void AllVariablesAreExactlyThoseTheServerDeclares()
    {
        var declared = Assemblies.Select(Assembly.Load)
            .SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Where(v => v.StartsWith("FACEMATCH_", StringComparison.Ordinal))
            .ToHashSet();
        // Vision's options read their variables by literal name; the file keys' table names them.
        declared.UnionWith(ServeConfiguration.Keys.Values);

        Assert.Empty(declared.Except(ServeConfiguration.AllVariables).Order());
        Assert.Empty(ServeConfiguration.AllVariables.Except(declared).Order());
    }
}
