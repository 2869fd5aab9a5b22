using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using FaceMatch.Api.V1;
using Google.Protobuf;
using Grpc.Core;

namespace FaceMatch.Client;

/// <summary>
/// One running Enroll, Authenticate or Identify session: its frames are sent as the source yields them, each
/// frame's <see cref="FrameFeedback"/> is readable from <see cref="Feedback"/> as soon as the server answers it,
/// and <see cref="Result"/> completes with the <see cref="SessionResult"/>. The source is asked for a frame only
/// while fewer than <see cref="FaceMatchClientOptions.MaxFramesInFlight"/> sent frames await their feedback, so a
/// camera is read at the pace the server analyses. The server may end a session before the source runs out (once it
/// has enough good frames): the source is then no longer read, and its enumerator is cancelled and disposed.
/// </summary>
/// <remarks>
/// Disposing a session that has not finished cancels it. Errors surface on <see cref="Result"/>: the server's status
/// as <see cref="RpcException"/> (say NOT_FOUND for an unknown template, INVALID_ARGUMENT for a frame that is no
/// image, DEADLINE_EXCEEDED), <see cref="OperationCanceledException"/> when the caller's token cancelled it, and the
/// source's own exception when enumerating the frames threw.
/// </remarks>
public sealed class FaceMatchSession : IAsyncDisposable
{
    private readonly AsyncDuplexStreamingCall<SessionRequest, SessionEvent> _call;
    private readonly Channel<FrameFeedback> _feedback = Channel.CreateUnbounded<FrameFeedback>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stopSending = new();
    // One slot per frame that may be sent before its feedback is back.
    private readonly SemaphoreSlim _window;
    private readonly Task _sending;
    private Exception? _sourceFault;

    internal FaceMatchSession(AsyncDuplexStreamingCall<SessionRequest, SessionEvent> call, SessionStart start,
        IAsyncEnumerable<SessionFrame> frames, int framesInFlight, CancellationToken cancellationToken)
    {
        _call = call;
        _window = new SemaphoreSlim(framesInFlight);
        _sending = Task.Run(() => SendAsync(start, frames, cancellationToken));
        Result = ReceiveAsync(cancellationToken);
    }

    /// <summary>
    /// Each frame's feedback, in frame order, as the server sends it; ends when the session ends, whatever its
    /// outcome (read <see cref="Result"/> for that). One reader; feedback not read yet is kept.
    /// </summary>
    public IAsyncEnumerable<FrameFeedback> Feedback => _feedback.Reader.ReadAllAsync();

    /// <summary>The session's result; faults as the remarks on <see cref="FaceMatchSession"/> say.</summary>
    public Task<SessionResult> Result { get; }

    private async Task SendAsync(SessionStart start, IAsyncEnumerable<SessionFrame> frames, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopSending.Token);
        var token = linked.Token;
        try
        {
            if (!await TryAsync(() => _call.RequestStream.WriteAsync(new SessionRequest { Start = start }, token))) return;
            await using var source = frames.GetAsyncEnumerator(token);
            while (true)
            {
                await _window.WaitAsync(token);
                if (!await source.MoveNextAsync()) break;
                if (token.IsCancellationRequested) return;
                var frame = source.Current;
                var message = new SessionRequest
                {
                    Frame = new Frame { Image = ByteString.CopyFrom(frame.Image.Span), CaptureTimeMs = (long)frame.CaptureTime.TotalMilliseconds },
                };
                if (!await TryAsync(() => _call.RequestStream.WriteAsync(message, token))) return;
            }
            await TryAsync(_call.RequestStream.CompleteAsync);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The session has its result, or the caller cancelled it (the receiver reports that).
        }
        catch (Exception e)
        {
            // The frame source failed: end the call, and let the receiver report this exception rather than CANCELLED.
            Volatile.Write(ref _sourceFault, e);
            _call.Dispose();
        }
    }

    /// <summary>
    /// One write or the half-close; false once the call is over (the server ended it, or it was cancelled), when the
    /// receiver has the status to report.
    /// </summary>
    private static async Task<bool> TryAsync(Func<Task> write)
    {
        try
        {
            await write();
            return true;
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<SessionResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            SessionResult? result = null;
            await foreach (var ev in _call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                switch (ev.KindCase)
                {
                    case SessionEvent.KindOneofCase.Feedback:
                        _window.Release();
                        _feedback.Writer.TryWrite(ev.Feedback);
                        break;
                    case SessionEvent.KindOneofCase.Result:
                        result = ev.Result;
                        _stopSending.Cancel();
                        break;
                }
            }
            return result ?? throw new InvalidOperationException("the server ended the session without a result");
        }
        catch when (Volatile.Read(ref _sourceFault) is { } fault)
        {
            ExceptionDispatchInfo.Throw(fault);
            throw;
        }
        finally
        {
            _stopSending.Cancel();
            _feedback.Writer.TryComplete();
        }
    }

    /// <summary>Reads every feedback into <paramref name="onFeedback"/>, in order, then returns the result.</summary>
    internal async Task<SessionResult> CompleteAsync(Action<FrameFeedback>? onFeedback)
    {
        await foreach (var feedback in Feedback) onFeedback?.Invoke(feedback);
        return await Result;
    }

    /// <summary>
    /// Cancels the session if it is still running, and waits until its frame source is disposed (a source that
    /// ignores its cancellation token delays this until it yields again).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!Result.IsCompleted) _call.Dispose();
        try { await Result.ConfigureAwait(false); }
        catch (Exception) { /* the caller stopped the session; how it ended is theirs to read from Result */ }
        await _sending.ConfigureAwait(false);
        _call.Dispose();
        _stopSending.Dispose();
        _window.Dispose();
    }
}
