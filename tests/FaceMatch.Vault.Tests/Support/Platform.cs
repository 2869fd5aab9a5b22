using System.Runtime.Versioning;

// The vault's file modes and durability checks are POSIX; the suite runs where the server runs.
[assembly: SupportedOSPlatform("linux")]
