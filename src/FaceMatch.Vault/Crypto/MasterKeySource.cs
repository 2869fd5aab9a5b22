using System.Security.Cryptography;

namespace FaceMatch.Vault.Crypto;

/// <summary>
/// Where the master key comes from: <c>FACEMATCH_MASTER_KEY</c> (base64 of 32 bytes) if set, else
/// <c>&lt;data&gt;/master.key</c>, which is generated (mode 0600) on first start when absent.
/// </summary>
public static class MasterKeySource
{
    public const string EnvironmentVariable = "FACEMATCH_MASTER_KEY";
    public const string FileName = "master.key";

    /// <param name="dataDirectory">The vault's data directory.</param>
    /// <param name="configuredValue">Base64 key from configuration or FACEMATCH_MASTER_KEY (null or empty: use the file).</param>
    public static byte[] Load(string dataDirectory, string? configuredValue)
    {
        if (!string.IsNullOrWhiteSpace(configuredValue))
            return Decode(configuredValue, "configuration");

        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            if (!OperatingSystem.IsWindows())
            {
                var mode = File.GetUnixFileMode(path);
                if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                    throw new VaultConfigurationException($"{path} is readable or writable by group or others; chmod 600 it");
            }
            return Decode(File.ReadAllText(path), path);
        }
        return Generate(dataDirectory, path);
    }

    private static byte[] Generate(string dataDirectory, string path)
    {
        Directory.CreateDirectory(dataDirectory);
        var key = RandomNumberGenerator.GetBytes(Sealer.KeySize);
        var text = Convert.ToBase64String(key) + "\n";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var stream = new FileStream(path, options);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
            return Decode(File.ReadAllText(path), path);
        }
        return key;
    }

    private static byte[] Decode(string text, string origin)
    {
        byte[] key;
        try { key = Convert.FromBase64String(text.Trim()); }
        catch (FormatException ex) { throw new VaultConfigurationException($"master key from {origin} is not valid base64", ex); }
        if (key.Length != Sealer.KeySize)
            throw new VaultConfigurationException($"master key from {origin} must be {Sealer.KeySize} bytes, got {key.Length}");
        return key;
    }
}
