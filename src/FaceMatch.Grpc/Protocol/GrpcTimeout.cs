using System.Globalization;

namespace FaceMatch.Grpc;

/// <summary>The grpc-timeout header: at most 8 ASCII digits and a unit (H, M, S, m, u, n).</summary>
public static class GrpcTimeout
{
    /// <summary>Longest timeout honoured; longer ones are clamped (timers cannot wait for years).</summary>
    public static readonly TimeSpan Max = TimeSpan.FromDays(30);

    public static bool TryParse(string? value, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(value) || value.Length < 2 || value.Length > 9) return false;
        var digits = value.AsSpan(0, value.Length - 1);
        foreach (var c in digits)
            if (c is < '0' or > '9') return false;
        var amount = long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        double ticks = value[^1] switch
        {
            'H' => amount * (double)TimeSpan.TicksPerHour,
            'M' => amount * (double)TimeSpan.TicksPerMinute,
            'S' => amount * (double)TimeSpan.TicksPerSecond,
            'm' => amount * (double)TimeSpan.TicksPerMillisecond,
            'u' => amount * (TimeSpan.TicksPerMillisecond / 1000.0),
            'n' => amount / 100.0,
            _ => -1,
        };
        if (ticks < 0) return false;
        timeout = ticks >= Max.Ticks ? Max : TimeSpan.FromTicks((long)Math.Ceiling(ticks));
        return true;
    }

    /// <summary>Encodes a timeout in the finest unit that keeps it within 8 digits (rounding up, never to zero).</summary>
    public static string Format(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) return "1n";
        const long maxDigits = 99_999_999;
        var nanos = timeout.Ticks * 100;
        if (nanos <= maxDigits) return nanos.ToString(CultureInfo.InvariantCulture) + "n";
        var micros = (timeout.Ticks + 9) / 10;
        if (micros <= maxDigits) return micros.ToString(CultureInfo.InvariantCulture) + "u";
        var millis = (timeout.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        if (millis <= maxDigits) return millis.ToString(CultureInfo.InvariantCulture) + "m";
        var seconds = (timeout.Ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        if (seconds <= maxDigits) return seconds.ToString(CultureInfo.InvariantCulture) + "S";
        var minutes = (timeout.Ticks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute;
        if (minutes <= maxDigits) return minutes.ToString(CultureInfo.InvariantCulture) + "M";
        var hours = Math.Min(maxDigits, (timeout.Ticks + TimeSpan.TicksPerHour - 1) / TimeSpan.TicksPerHour);
        return hours.ToString(CultureInfo.InvariantCulture) + "H";
    }
}
