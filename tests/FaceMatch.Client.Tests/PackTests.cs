using System.IO.Compression;
using System.Xml.Linq;
using FaceMatch.Client.Tests.Support;
using FaceMatch.Tests;

namespace FaceMatch.Client.Tests;

/// <summary>`dotnet pack src/FaceMatch.Client` makes the package an integrator installs: the library, its XML docs, its README.</summary>
public sealed class PackTests
{
    [Fact]
    public async Task The_package_holds_the_library_its_docs_and_its_readme()
    {
        var output = Directory.CreateTempSubdirectory("fm-pack").FullName;
        try
        {
            // The library is built already (this project references it); pack only packs that build.
            var pack = await Cli.RunAsync(Cli.Dotnet, ["pack", Path.Combine(TestPaths.RepoRoot, "src", "FaceMatch.Client"),
                "-c", Cli.Configuration, "--no-build", "-o", output, "--nologo"]);
            Assert.True(pack.Exit == 0, pack.All);

            var package = Assert.Single(Directory.GetFiles(output, "FaceMatch.Client.*.nupkg"));
            using var zip = ZipFile.OpenRead(package);
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains("lib/net10.0/FaceMatch.Client.dll", entries);
            Assert.Contains("lib/net10.0/FaceMatch.Client.xml", entries);
            Assert.Contains("README.md", entries);

            var nuspec = XDocument.Load(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open());
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            var dependencies = metadata.Descendants(ns + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);
            Assert.Equal("2.85.0", dependencies["Grpc.Net.Client"]);
            Assert.Contains("Google.Protobuf", dependencies.Keys);
            Assert.Contains("Grpc.HealthCheck", dependencies.Keys);
            // A build-time tool, not something an integrator's application should inherit.
            Assert.DoesNotContain("Grpc.Tools", dependencies.Keys);

            using var docs = new StreamReader(zip.GetEntry("lib/net10.0/FaceMatch.Client.xml")!.Open());
            var xml = XDocument.Parse(await docs.ReadToEndAsync());
            var members = xml.Descendants("member").Select(m => m.Attribute("name")!.Value).ToHashSet();
            Assert.Contains(members, m => m.StartsWith("M:FaceMatch.Client.FaceMatchClient.EnrollAsync"));
            Assert.Contains("T:FaceMatch.Client.FaceMatchAdminClient", members);
            using var readme = new StreamReader(zip.GetEntry("README.md")!.Open());
            Assert.Contains("FaceMatchClient", await readme.ReadToEndAsync());
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
