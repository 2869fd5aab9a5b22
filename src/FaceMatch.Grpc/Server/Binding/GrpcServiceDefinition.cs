using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FaceMatch.Grpc.Server.Binding;

/// <summary>
/// A service as the server exposes it: its descriptor (for routing and reflection) and the methods bound
/// to code. Methods of the descriptor that are not bound answer UNIMPLEMENTED.
/// </summary>
public sealed class GrpcServiceDefinition
{
    internal GrpcServiceDefinition(ServiceDescriptor service, IReadOnlyList<ServerMethodBinding> methods)
    {
        Service = service;
        Methods = methods;
    }

    public ServiceDescriptor Service { get; }
    public IReadOnlyList<ServerMethodBinding> Methods { get; }

    public static Builder CreateBuilder(ServiceDescriptor service) => new(service);

    /// <summary>Binds a <see cref="GrpcServiceBase"/> by convention: one public method per RPC, named as the RPC.</summary>
    public static GrpcServiceDefinition FromService(GrpcServiceBase implementation) => ConventionBinder.Bind(implementation);

    /// <summary>
    /// Explicit binding, one line per RPC. Each Add checks that the RPC exists in the descriptor, that its
    /// call type matches, and that the message types are the descriptor's generated classes.
    /// </summary>
    public sealed class Builder
    {
        private readonly ServiceDescriptor _service;
        private readonly Dictionary<string, ServerMethodBinding> _methods = new(StringComparer.Ordinal);

        internal Builder(ServiceDescriptor service) => _service = service ?? throw new ArgumentNullException(nameof(service));

        public Builder AddUnary<TRequest, TResponse>(string name, UnaryServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new() =>
            Add(new UnaryBinding<TRequest, TResponse>(Resolve<TRequest, TResponse>(name, MethodType.Unary), handler));

        public Builder AddClientStreaming<TRequest, TResponse>(string name, ClientStreamingServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new() =>
            Add(new ClientStreamingBinding<TRequest, TResponse>(Resolve<TRequest, TResponse>(name, MethodType.ClientStreaming), handler));

        public Builder AddServerStreaming<TRequest, TResponse>(string name, ServerStreamingServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new() =>
            Add(new ServerStreamingBinding<TRequest, TResponse>(Resolve<TRequest, TResponse>(name, MethodType.ServerStreaming), handler));

        public Builder AddDuplexStreaming<TRequest, TResponse>(string name, DuplexStreamingServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new() =>
            Add(new DuplexStreamingBinding<TRequest, TResponse>(Resolve<TRequest, TResponse>(name, MethodType.DuplexStreaming), handler));

        public GrpcServiceDefinition Build() => new(_service, _methods.Values.ToArray());

        private Builder Add(ServerMethodBinding binding)
        {
            if (!_methods.TryAdd(binding.Method.Name, binding))
                throw new InvalidOperationException($"{binding.Path} is bound twice.");
            return this;
        }

        private MethodDescriptor Resolve<TRequest, TResponse>(string name, MethodType type)
        {
            var method = _service.FindMethodByName(name)
                ?? throw new ArgumentException($"Service {_service.FullName} has no RPC named '{name}'.", nameof(name));
            var actual = GrpcMethodPath.TypeOf(method);
            if (actual != type)
                throw new ArgumentException($"{GrpcMethodPath.Of(method)} is a {actual} RPC; it was bound as {type}.", nameof(name));
            CheckType(method, "request", method.InputType, typeof(TRequest));
            CheckType(method, "response", method.OutputType, typeof(TResponse));
            return method;
        }

        private static void CheckType(MethodDescriptor method, string role, MessageDescriptor expected, Type given)
        {
            if (expected.ClrType != given)
                throw new ArgumentException(
                    $"{GrpcMethodPath.Of(method)} takes {expected.FullName} ({expected.ClrType?.FullName}) as its {role}; {given.FullName} was given.");
        }
    }
}

/// <summary>
/// Base class for a service bound by convention: for every RPC in <see cref="Descriptor"/>, a public method
/// with the RPC's name (or the name + "Async") and one of these shapes serves it:
/// <code>
/// Task&lt;Res&gt; Rpc(Req request, ServerCallContext context)                                          // unary
/// Task&lt;Res&gt; Rpc(IAsyncStreamReader&lt;Req&gt; requests, ServerCallContext context)                   // client streaming
/// Task Rpc(Req request, IServerStreamWriter&lt;Res&gt; responses, ServerCallContext context)             // server streaming
/// Task Rpc(IAsyncStreamReader&lt;Req&gt; requests, IServerStreamWriter&lt;Res&gt; responses, ServerCallContext context) // duplex
/// </code>
/// So adding an RPC to a service is writing one method. RPCs without a method answer UNIMPLEMENTED;
/// a method with the RPC's name but the wrong shape fails at startup, with the reason.
/// </summary>
public abstract class GrpcServiceBase
{
    public abstract ServiceDescriptor Descriptor { get; }
}

internal static class ConventionBinder
{
    private static readonly MethodInfo BindGeneric = typeof(ConventionBinder).GetMethod(nameof(BindTyped), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static GrpcServiceDefinition Bind(GrpcServiceBase implementation)
    {
        var descriptor = implementation.Descriptor ?? throw new InvalidOperationException($"{implementation.GetType().Name}.Descriptor is null.");
        var builder = GrpcServiceDefinition.CreateBuilder(descriptor);
        var candidates = implementation.GetType().GetMethods(BindingFlags.Public | BindingFlags.Instance);
        foreach (var rpc in descriptor.Methods)
        {
            var matches = candidates.Where(m => m.Name == rpc.Name || m.Name == rpc.Name + "Async").ToArray();
            if (matches.Length == 0) continue;
            if (matches.Length > 1)
                throw new InvalidOperationException($"{implementation.GetType().Name} has {matches.Length} methods for RPC {rpc.Name}; keep one.");
            BindGeneric.MakeGenericMethod(rpc.InputType.ClrType, rpc.OutputType.ClrType)
                .Invoke(null, BindingFlags.DoNotWrapExceptions, null, [builder, rpc, implementation, matches[0]], null);
        }
        return builder.Build();
    }

    private static void BindTyped<TRequest, TResponse>(GrpcServiceDefinition.Builder builder, MethodDescriptor rpc,
        GrpcServiceBase target, MethodInfo method)
        where TRequest : class, IMessage<TRequest>, new() where TResponse : class, IMessage<TResponse>, new()
    {
        var type = GrpcMethodPath.TypeOf(rpc);
        var delegateType = type switch
        {
            MethodType.Unary => typeof(UnaryServerMethod<TRequest, TResponse>),
            MethodType.ClientStreaming => typeof(ClientStreamingServerMethod<TRequest, TResponse>),
            MethodType.ServerStreaming => typeof(ServerStreamingServerMethod<TRequest, TResponse>),
            _ => typeof(DuplexStreamingServerMethod<TRequest, TResponse>),
        };
        Delegate handler;
        try
        {
            handler = method.CreateDelegate(delegateType, target);
        }
        catch (ArgumentException)
        {
            var expected = delegateType.GetMethod("Invoke")!;
            throw new InvalidOperationException(
                $"{target.GetType().Name}.{method.Name} serves {GrpcMethodPath.Of(rpc)} ({type}) and must have the shape " +
                $"{Friendly(expected.ReturnType)} {method.Name}({string.Join(", ", expected.GetParameters().Select(p => Friendly(p.ParameterType)))}).");
        }
        switch (handler)
        {
            case UnaryServerMethod<TRequest, TResponse> u: builder.AddUnary(rpc.Name, u); break;
            case ClientStreamingServerMethod<TRequest, TResponse> c: builder.AddClientStreaming(rpc.Name, c); break;
            case ServerStreamingServerMethod<TRequest, TResponse> s: builder.AddServerStreaming(rpc.Name, s); break;
            case DuplexStreamingServerMethod<TRequest, TResponse> d: builder.AddDuplexStreaming(rpc.Name, d); break;
        }
    }

    private static string Friendly(Type type) => type.IsGenericType
        ? $"{type.Name[..type.Name.IndexOf('`')]}<{string.Join(", ", type.GetGenericArguments().Select(Friendly))}>"
        : type.Name;
}
