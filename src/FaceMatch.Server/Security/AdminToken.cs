using System.Security.Cryptography;
using System.Text;

namespace FaceMatch.Server.Security;

/// <summary>
/// The operator's bearer token: FACEMATCH_ADMIN_TOKEN when set, else &lt;data&gt;/admin.token, generated on first start
/// (256 random bits, mode 0600, in a data directory of mode 0700). Kept in memory only as its SHA-256, and
/// compared in constant time.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AdminToken
{
    public const string Variable = "FACEMATCH_ADMIN_TOKEN";
    public const string FileName = "admin.token";
    public const int MinLength = 32;
    private const string Prefix = "fm_admin_";
    private readonly byte[] _hash;

    private AdminToken(string token) => _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>Where the token came from, for the start-up log (never the token itself).</summary>
    public string Source { get; private init; } = "";

    /// <exception cref="ArgumentException">the variable is set but too short to be a secret.</exception>
    /// <exception cref="IOException">the token file cannot be read or written.</exception>
    public static AdminToken Load(string dataDirectory, string? fromEnvironment)
    {
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            if (fromEnvironment.Trim().Length < MinLength)
                throw new ArgumentException($"{Variable} must be at least {MinLength} characters (a random secret).");
            return new AdminToken(fromEnvironment.Trim()) { Source = Variable };
        }
        var path = PathIn(dataDirectory);
        EnsurePrivateDirectory(dataDirectory);
        if (File.Exists(path)) return new AdminToken(File.ReadAllText(path).Trim()) { Source = path };

        var token = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        // CreateNew with the mode set at creation: the secret is never readable by others, not even briefly.
        using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.Write(Encoding.UTF8.GetBytes(token + "\n"));
        }
        return new AdminToken(token) { Source = path };
    }

    public static string PathIn(string dataDirectory) => Path.Combine(dataDirectory, FileName);

    public bool Matches(string presented) =>
        CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    /// <summary>The data directory, created 0700 if missing, and narrowed to 0700 if it is wider.</summary>
    public static void EnsurePrivateDirectory(string directory)
    {
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var info = Directory.CreateDirectory(directory, owner);
        if (!OperatingSystem.IsWindows() && (info.UnixFileMode & ~owner) != 0) File.SetUnixFileMode(directory, owner);
    }
}
