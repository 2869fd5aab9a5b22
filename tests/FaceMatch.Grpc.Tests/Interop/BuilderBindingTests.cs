using System.Net;
using FaceMatch.Grpc.Client;
using FaceMatch.Grpc.Hosting;
using FaceMatch.Grpc.Server;
using FaceMatch.Grpc.Server.Binding;
using FaceMatch.Grpc.Tests.Interop;
using FaceMatch.Grpc.Tests.Support;

namespace FaceMatch.Grpc.Tests.InteropTests;

/// <summary>A service bound with the explicit builder (delegates, one line per RPC), served end to end.</summary>
public sealed class BuilderBindingTests
{
    [Fact]
    public async Task Delegate_bound_service_sends_headers_before_any_message_and_status_set_on_the_context()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var definition = GrpcServiceDefinition.CreateBuilder(InteropReflection.Descriptor.Services[0])
            .AddServerStreaming<EchoRequest, EchoResponse>("ServerStream", async (request, responses, context) =>
            {
                context.ResponseHeaders.Add("x-phase", "headers-first");
                await context.WriteResponseHeadersAsync();
                await release.Task.WaitAsync(context.CancellationToken);
                await responses.WriteAsync(new EchoResponse { Text = request.Text });
                context.ResponseTrailers.Add("x-done", "yes");
                context.Status = new Status(StatusCode.OK, "all sent");
            })
            .AddUnary<EchoRequest, EchoResponse>("Unary", (request, context) =>
            {
                context.Status = new Status(StatusCode.FailedPrecondition, "set on the context, not thrown");
                return Task.FromResult(new EchoResponse());
            })
            .Build();
        var host = GrpcServerHost.Create(new GrpcHostOptions { Address = IPAddress.Loopback, Port = 0 }, new GrpcServiceRegistry().Add(definition));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(cts.Token);
        try
        {
            using var channel = GrpcChannel.ForAddress(host.LocalAddress);
            var client = new InteropClient(channel);
            using var call = client.ServerStream(new EchoRequest { Text = "later" }, InteropClient.Bounded());
            var headers = await call.ResponseHeadersAsync.WaitAsync(cts.Token); // arrives while the handler still waits
            Assert.Equal("headers-first", headers.GetValue("x-phase"));
            release.SetResult();
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal("later", call.ResponseStream.Current.Text);
            Assert.False(await call.ResponseStream.MoveNext());
            Assert.Equal(new Status(StatusCode.OK, "all sent"), call.GetStatus());
            Assert.Equal("yes", call.GetTrailers().GetValue("x-done"));

            var e = await Assert.ThrowsAsync<RpcException>(() => client.Unary(new EchoRequest(), InteropClient.Bounded()).ResponseAsync);
            Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode);
            Assert.Equal("set on the context, not thrown", e.Status.Detail);
        }
        finally
        {
            await host.StopAsync(cts.Token);
            await host.DisposeAsync();
        }
    }
}
