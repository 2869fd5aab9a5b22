namespace FaceMatch.Vault;

/// <summary>Base of every error the vault reports on purpose.</summary>
public class VaultException : Exception
{
    public VaultException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The vault cannot start or run with the configuration given (master key, sizes, paths).</summary>
public sealed class VaultConfigurationException : VaultException
{
    public VaultConfigurationException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The store failed (I/O, a checkpoint that did not complete); the operation was not acknowledged.</summary>
public sealed class VaultStorageException : VaultException
{
    public VaultStorageException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>
/// The store cannot take or confirm the operation now (a cluster node unreachable, a failover in progress, no
/// replica confirming a write); the operation may have been applied and may be retried.
/// </summary>
public sealed class VaultUnavailableException : VaultException
{
    public VaultUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A stored record failed authentication or does not parse: tampered, truncated or from another key.</summary>
public sealed class VaultIntegrityException : VaultException
{
    public VaultIntegrityException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>An argument the caller passed is out of range (size limits, empty values); the message says which.</summary>
public sealed class VaultArgumentException : VaultException
{
    public VaultArgumentException(string message) : base(message) { }
}

/// <summary>The caller lacks the capability for this operation (e.g. a production token asking to keep captures).</summary>
public sealed class VaultPermissionException : VaultException
{
    public VaultPermissionException(string message) : base(message) { }
}

/// <summary>
/// A registered <see cref="Changes.ITemplateListener"/> threw. The vault's change was made and committed before
/// this was thrown (the inner exception is the listener's; several are wrapped in an AggregateException).
/// </summary>
public sealed class VaultListenerException : VaultException
{
    public VaultListenerException(string message, Exception inner, string? templateId = null) : base(message, inner) => TemplateId = templateId;

    /// <summary>For a failed <c>AddAsync</c>: the id of the template it stored (durable, announced to the others).</summary>
    public string? TemplateId { get; }
}
