using System.Collections;
using System.Globalization;

namespace FaceMatch.Server.Hosting;

/// <summary>
/// Reads one setting from a table of variables: unset (or empty) gives the default, anything else must parse and be in
/// range, or it is an <see cref="ArgumentException"/> whose message starts with the variable's name (so
/// <see cref="Composition.ServeConfiguration"/> can say which file key it came from).
/// </summary>
public static class SettingValue
{
    public static string? Text(IDictionary variables, string name) => variables[name] is string { Length: > 0 } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    public static long Long(IDictionary variables, string name, long fallback, long min, long max)
    {
        if (Text(variables, name) is not { } text) return fallback;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            throw new ArgumentException($"{name}='{text}' is not a whole number.");
        if (value < min || value > max)
            throw new ArgumentException($"{name}={value} is out of range ({min}..{max}).");
        return value;
    }

    public static int Int(IDictionary variables, string name, int fallback, int min, int max) => (int)Long(variables, name, fallback, min, max);

    public static float Float(IDictionary variables, string name, float fallback, float min, float max)
    {
        if (Text(variables, name) is not { } text) return fallback;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
            throw new ArgumentException($"{name}='{text}' is not a number.");
        if (value < min || value > max)
            throw new ArgumentException($"{name}={value.ToString(CultureInfo.InvariantCulture)} is out of range ({min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}).");
        return value;
    }

    public static bool Bool(IDictionary variables, string name) => Text(variables, name)?.ToLowerInvariant() switch
    {
        null or "false" or "0" or "no" => false,
        "true" or "1" or "yes" => true,
        var text => throw new ArgumentException($"{name}='{text}' is not true or false."),
    };
}
