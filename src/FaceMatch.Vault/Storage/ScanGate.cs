namespace FaceMatch.Vault.Storage;

/// <summary>
/// Keeps log scans and compaction apart. Compaction moves live records to the tail; a scan running across it
/// could see a record twice (before and after the move) or, with a bounded end, not at all. Scans share the
/// gate; compaction takes it alone. Not thread-affine: a scan may be resumed on another thread.
/// </summary>
internal sealed class ScanGate
{
    private readonly object _lock = new();
    private int _scans;
    private bool _compacting;

    public void EnterScan()
    {
        lock (_lock)
        {
            while (_compacting) Monitor.Wait(_lock);
            _scans++;
        }
    }

    public void ExitScan()
    {
        lock (_lock)
        {
            if (--_scans == 0) Monitor.PulseAll(_lock);
        }
    }

    public bool TryEnterExclusive(TimeSpan timeout)
    {
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (_compacting || _scans > 0)
            {
                var left = deadline - Environment.TickCount64;
                if (left <= 0) return false;
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(left));
            }
            _compacting = true;
            return true;
        }
    }

    public void ExitExclusive()
    {
        lock (_lock)
        {
            _compacting = false;
            Monitor.PulseAll(_lock);
        }
    }
}
