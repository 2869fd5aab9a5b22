using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FaceMatch.Vision.Imaging.Native;

/// <summary>
/// Finds this assembly's native libraries (lib{name}.so): next to the application, next to this assembly,
/// in $FACEMATCH_NATIVE_DIR, or in build/native/ of a checkout above the application (tests and tools
/// run from bin/). The only DllImport resolver of FaceMatch.Vision: .NET allows one per assembly, so other
/// native libraries of this assembly get resolved here too, by the same rules.
/// </summary>
internal static class NativeLibraryLoader
{
    public const string EnvironmentVariable = "FACEMATCH_NATIVE_DIR";

    // A module initializer, not a lazy call: the resolver must be in place before the first P/Invoke of any
    // type in this assembly, whichever runs first.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        foreach (var path in CandidatePaths(name, assembly))
            if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
                return handle;
        return IntPtr.Zero; // fall back to the default probing (system library path)
    }

    internal static IEnumerable<string> CandidatePaths(string name, Assembly assembly)
    {
        var file = name.EndsWith(".so", StringComparison.Ordinal) ? name : $"lib{name}.so";
        yield return Path.Combine(AppContext.BaseDirectory, file);
        if (!string.IsNullOrEmpty(assembly.Location))
            yield return Path.Combine(Path.GetDirectoryName(assembly.Location)!, file);
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } dir)
            yield return Path.Combine(dir, file);
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            yield return Path.Combine(d.FullName, "build", "native", file);
    }
}
