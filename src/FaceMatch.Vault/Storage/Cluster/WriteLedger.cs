using System.Net;

namespace FaceMatch.Vault.Storage.Cluster;

/// <summary>
/// Which writes a WAIT round has confirmed. Redis's WAIT confirms every write sent earlier <i>on the same
/// connection</i>; once the client reconnects, a WAIT says nothing of writes sent on the lost connection. So each
/// write the primary took gets a sequence number; a round confirms the writes up to the sequence it started at,
/// provided no connection failed meanwhile; writes that a failure (or an unconfirmed round) left without
/// confirmation form a broken range, and a commit whose writes fall in one fails instead of acknowledging.
/// </summary>
internal sealed class WriteLedger
{
    private const int MaxBrokenRanges = 4096;
    private readonly object _lock = new();
    private readonly Dictionary<EndPoint, long> _lastWriteOn = new();
    private readonly List<(long After, long Through)> _broken = new();
    private long _written;
    private long _accounted;
    private long _failures;

    /// <summary>A round of confirmations: writes (<see cref="After"/>, <see cref="Through"/>] on <see cref="Primaries"/>.</summary>
    internal readonly record struct Round(long After, long Through, long Failures, IReadOnlyList<EndPoint> Primaries);

    /// <summary>Records a write the primary at <paramref name="primary"/> acknowledged; returns its sequence number.</summary>
    public long Written(EndPoint primary)
    {
        lock (_lock)
        {
            _lastWriteOn[primary] = ++_written;
            return _written;
        }
    }

    /// <summary>(confirmed or broken up to, written up to), for a commit to know what it waits for.</summary>
    public (long Accounted, long Written) Snapshot()
    {
        lock (_lock) return (_accounted, _written);
    }

    public bool IsAccounted(long sequence)
    {
        lock (_lock) return _accounted >= sequence;
    }

    public Round BeginRound()
    {
        lock (_lock)
        {
            var primaries = _lastWriteOn.Where(p => p.Value > _accounted).Select(p => p.Key).ToList();
            return new Round(_accounted, _written, _failures, primaries);
        }
    }

    public void EndRound(Round round, bool confirmed)
    {
        lock (_lock)
        {
            if (confirmed && _failures == round.Failures) _accounted = Math.Max(_accounted, round.Through);
            else Break(round.After, round.Through);
            ForgetConfirmedPrimaries();
        }
    }

    /// <summary>A connection to a node failed: nothing written so far and not yet confirmed can be confirmed now.</summary>
    public void ConnectionLost()
    {
        lock (_lock)
        {
            _failures++;
            Break(_accounted, _written);
        }
    }

    /// <summary>Whether none of the writes <paramref name="first"/>..<paramref name="last"/> was left unconfirmed.</summary>
    public bool IsIntact(long first, long last)
    {
        lock (_lock)
        {
            foreach (var (after, through) in _broken)
                if (first <= through && last > after) return false;
            return true;
        }
    }

    private void Break(long after, long through)
    {
        if (through > after)
        {
            _broken.Add((after, through));
            // Commits wait seconds at most; ranges this old have no waiter left.
            if (_broken.Count > MaxBrokenRanges) _broken.RemoveRange(0, _broken.Count - MaxBrokenRanges);
        }
        _accounted = Math.Max(_accounted, through);
        ForgetConfirmedPrimaries();
    }

    // Primaries with nothing unaccounted need no WAIT; forgetting them keeps the map to the live topology.
    private void ForgetConfirmedPrimaries()
    {
        foreach (var stale in _lastWriteOn.Where(p => p.Value <= _accounted).Select(p => p.Key).ToList()) _lastWriteOn.Remove(stale);
    }
}
