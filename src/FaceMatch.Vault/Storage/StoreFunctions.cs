using FASTER.core;

namespace FaceMatch.Vault.Storage;

/// <summary>What a read should hand back: the value bytes, or only whether (and where) the record lives.</summary>
internal enum ReadKind : byte
{
    Value = 0,
    AddressOnly = 1,
}

/// <summary>
/// FASTER's callbacks for the vault's byte-string keys and values. A struct passed as a generic argument, so
/// FASTER's hot paths are specialised for it: no virtual calls, no allocation beyond the pooled read buffer.
/// Values are opaque sealed envelopes; this type never interprets them.
/// </summary>
internal struct StoreFunctions : IFunctions<SpanByte, SpanByte, ReadKind, ReadOutput, Empty>
{
    public bool SingleReader(ref SpanByte key, ref ReadKind input, ref SpanByte value, ref ReadOutput dst, ref ReadInfo readInfo)
    {
        if (input == ReadKind.Value) dst.CopyFrom(value.AsReadOnlySpan());
        return true;
    }

    public bool ConcurrentReader(ref SpanByte key, ref ReadKind input, ref SpanByte value, ref ReadOutput dst, ref ReadInfo readInfo)
        => SingleReader(ref key, ref input, ref value, ref dst, ref readInfo);

    public void ReadCompletionCallback(ref SpanByte key, ref ReadKind input, ref ReadOutput output, Empty ctx, Status status, RecordMetadata recordMetadata) { }

    public bool SingleWriter(ref SpanByte key, ref ReadKind input, ref SpanByte src, ref SpanByte dst, ref ReadOutput output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        src.CopyTo(ref dst);
        return true;
    }

    public void PostSingleWriter(ref SpanByte key, ref ReadKind input, ref SpanByte src, ref SpanByte dst, ref ReadOutput output, ref UpsertInfo upsertInfo, WriteReason reason) { }

    public bool ConcurrentWriter(ref SpanByte key, ref ReadKind input, ref SpanByte src, ref SpanByte dst, ref ReadOutput output, ref UpsertInfo upsertInfo)
    {
        // In place only when the size matches; otherwise FASTER appends a new record (read-copy-update).
        // The mutable region has never been flushed, so overwriting here keeps the old bytes off disk.
        if (dst.Length != src.Length) return false;
        src.AsReadOnlySpan().CopyTo(dst.AsSpan());
        return true;
    }

    public bool NeedInitialUpdate(ref SpanByte key, ref ReadKind input, ref ReadOutput output, ref RMWInfo rmwInfo) => false;
    public bool InitialUpdater(ref SpanByte key, ref ReadKind input, ref SpanByte value, ref ReadOutput output, ref RMWInfo rmwInfo) => false;
    public void PostInitialUpdater(ref SpanByte key, ref ReadKind input, ref SpanByte value, ref ReadOutput output, ref RMWInfo rmwInfo) { }
    public bool NeedCopyUpdate(ref SpanByte key, ref ReadKind input, ref SpanByte oldValue, ref ReadOutput output, ref RMWInfo rmwInfo) => false;
    public bool CopyUpdater(ref SpanByte key, ref ReadKind input, ref SpanByte oldValue, ref SpanByte newValue, ref ReadOutput output, ref RMWInfo rmwInfo) => false;
    public void PostCopyUpdater(ref SpanByte key, ref ReadKind input, ref SpanByte oldValue, ref SpanByte newValue, ref ReadOutput output, ref RMWInfo rmwInfo) { }
    public bool InPlaceUpdater(ref SpanByte key, ref ReadKind input, ref SpanByte value, ref ReadOutput output, ref RMWInfo rmwInfo) => false;
    public void RMWCompletionCallback(ref SpanByte key, ref ReadKind input, ref ReadOutput output, Empty ctx, Status status, RecordMetadata recordMetadata) { }

    public bool SingleDeleter(ref SpanByte key, ref SpanByte value, ref DeleteInfo deleteInfo) => true;
    public void PostSingleDeleter(ref SpanByte key, ref DeleteInfo deleteInfo) { }

    public bool ConcurrentDeleter(ref SpanByte key, ref SpanByte value, ref DeleteInfo deleteInfo)
    {
        // The record is still in memory and was never flushed: wipe the ciphertext before the tombstoned
        // record can reach a log file.
        value.AsSpan().Clear();
        return true;
    }

    public void DisposeSingleWriter(ref SpanByte key, ref ReadKind input, ref SpanByte src, ref SpanByte dst, ref ReadOutput output, ref UpsertInfo upsertInfo, WriteReason reason) { }
    public void DisposeCopyUpdater(ref SpanByte key, ref ReadKind input, ref SpanByte oldValue, ref SpanByte newValue, ref ReadOutput output, ref RMWInfo rmwInfo) { }
    public void DisposeInitialUpdater(ref SpanByte key, ref ReadKind input, ref SpanByte value, ref ReadOutput output, ref RMWInfo rmwInfo) { }
    public void DisposeSingleDeleter(ref SpanByte key, ref SpanByte value, ref DeleteInfo deleteInfo) { }
    public void DisposeDeserializedFromDisk(ref SpanByte key, ref SpanByte value) { }
    public void CheckpointCompletionCallback(int sessionID, string sessionName, CommitPoint commitPoint) { }
}
