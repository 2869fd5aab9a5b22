using FaceMatch.Vault.Crypto;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

public sealed class MasterKeyTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Generated_on_first_start_owner_only_and_reused()
    {
        var first = MasterKeySource.Load(_dir.Path, null);
        var path = Path.Combine(_dir.Path, MasterKeySource.FileName);
        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(32, first.Length);
        Assert.Equal(first, MasterKeySource.Load(_dir.Path, null));
    }

    [Fact]
    public void Configured_key_wins_over_the_file()
    {
        var configured = MasterKeySource.Load(_dir.Path, TestVault.MasterKey);
        Assert.Equal(Convert.FromBase64String(TestVault.MasterKey), configured);
        Assert.False(File.Exists(Path.Combine(_dir.Path, MasterKeySource.FileName)));
    }

    [Fact]
    public void Bad_keys_are_refused_with_a_reason()
    {
        Assert.Contains("base64", Assert.Throws<VaultConfigurationException>(() => MasterKeySource.Load(_dir.Path, "not base64!")).Message);
        Assert.Contains("32 bytes", Assert.Throws<VaultConfigurationException>(() => MasterKeySource.Load(_dir.Path, Convert.ToBase64String(new byte[16]))).Message);
        var path = Path.Combine(_dir.Path, MasterKeySource.FileName);
        File.WriteAllText(path, TestVault.MasterKey);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Contains("chmod 600", Assert.Throws<VaultConfigurationException>(() => MasterKeySource.Load(_dir.Path, null)).Message);
    }

    [Fact]
    public async Task Vault_refuses_a_master_key_that_does_not_match_its_data()
    {
        await using (var vault = await TestVault.OpenAsync(_dir.Path)) { }
        var other = Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray());
        var ex = await Assert.ThrowsAsync<VaultConfigurationException>(() => FaceMatchVault.OpenAsync(TestVault.Options(_dir.Path, masterKey: other)));
        Assert.Contains("does not match", ex.Message);
        await using (var vault = await TestVault.OpenAsync(_dir.Path)) { } // the right key still opens it
    }
}
