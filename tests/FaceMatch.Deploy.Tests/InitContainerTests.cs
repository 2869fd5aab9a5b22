using System.Security.Cryptography;
using FaceMatch.Deploy.Tests.Support;
using FaceMatch.Server.Composition;
using FaceMatch.Server.Security;
using FaceMatch.Vault.Crypto;

namespace FaceMatch.Deploy.Tests;

/// <summary>
/// The FaceMatch pod's init container, run as the kubelet would run it (<see cref="PodSandbox"/>), hands the server
/// files its own loaders accept: the master key and admin token where the data directory says, private, with the
/// Secrets' contents; the other secrets where the server's variables point.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InitContainerTests
{
    [Fact]
    public async Task TheServerLoadsTheKeyFilesTheInitContainerWrites()
    {
        var m = new Manifests("base");
        var masterKey = RandomNumberGenerator.GetBytes(32);
        var values = new Dictionary<string, string>
        {
            ["master-key"] = Convert.ToBase64String(masterKey) + "\n",
            ["admin-token"] = "fm_admin_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            ["peer-token"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            ["password"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            ["tls.crt"] = "certificate",
            ["tls.key"] = "key",
            ["ca.crt"] = "issuer",
        };
        var pod = m.FaceMatch.Spec.Template.Spec;
        // The store's TLS Secret holds a ca.crt of its own: another issuer than the replicas'.
        string Value(string secret, string key) => secret == "facematch-store-tls" ? "store " + values[key] : values[key];
        using var init = new PodSandbox(m, pod, pod.InitContainers.Single(), Value);
        init.Start(new Dictionary<string, string>());
        Assert.True(await init.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, init.Log);

        // The server container mounts the same in-memory volume at the same path, so its paths are the init's.
        var env = m.ServerEnvironment().ToDictionary(e => e.Key, e => init.Relocate(e.Value));
        var data = env[ServeConfiguration.DataVariable];
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
        Assert.Equal(masterKey, MasterKeySource.Load(data, configuredValue: null));
        Assert.True(AdminToken.Load(data, fromEnvironment: null).Matches(values["admin-token"]));

        foreach (var (variable, secret, key) in new[] { ("FACEMATCH_PEER_TOKEN_FILE", "facematch-secrets", "peer-token"),
                     ("FACEMATCH_CLUSTER_PASSWORD_FILE", "facematch-store-auth", "password"), ("FACEMATCH_TLS_CERT", "facematch-tls", "tls.crt"),
                     ("FACEMATCH_TLS_KEY", "facematch-tls", "tls.key"), ("FACEMATCH_PEER_CA_FILE", "facematch-tls", "ca.crt"),
                     ("FACEMATCH_CLUSTER_CA_CERT", "facematch-store-tls", "ca.crt") })
        {
            Assert.Equal(Value(secret, key), File.ReadAllText(env[variable]));
            Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(env[variable]));
        }
    }
}
