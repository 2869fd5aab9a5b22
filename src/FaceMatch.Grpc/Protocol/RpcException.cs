namespace FaceMatch.Grpc;

/// <summary>
/// Ends a call with a status. Thrown by server handlers to fail a call with a chosen code and message
/// (the message reaches the client), and by the client when a call ends with a status other than OK.
/// </summary>
public class RpcException : Exception
{
    public RpcException(Status status, Metadata? trailers = null)
        : base(status.ToString())
    {
        Status = status;
        Trailers = trailers ?? new Metadata();
    }

    public RpcException(StatusCode code, string detail, Metadata? trailers = null)
        : this(new Status(code, detail), trailers)
    {
    }

    public Status Status { get; }
    public StatusCode StatusCode => Status.StatusCode;
    /// <summary>Server: extra trailers sent with the status. Client: the trailers received.</summary>
    public Metadata Trailers { get; }
}
