using Google.Protobuf.Reflection;

namespace FaceMatch.Grpc.Services.Reflection;

/// <summary>
/// What reflection can answer about: the services, every .proto file they need (transitively), and the
/// fully-qualified symbols (services, methods, messages, fields, enums, values) each file declares.
/// </summary>
internal sealed class DescriptorIndex
{
    private readonly Dictionary<string, FileDescriptor> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FileDescriptor> _symbols = new(StringComparer.Ordinal);
    private readonly HashSet<string> _messageTypes = new(StringComparer.Ordinal);

    public DescriptorIndex(IEnumerable<ServiceDescriptor> services)
    {
        var names = new List<string>();
        foreach (var service in services)
        {
            names.Add(service.FullName);
            AddFile(service.File);
        }
        ServiceNames = names;
    }

    public IReadOnlyList<string> ServiceNames { get; }

    public FileDescriptor? FindFile(string name) => _files.GetValueOrDefault(name);

    public FileDescriptor? FindFileContainingSymbol(string symbol) =>
        _symbols.GetValueOrDefault(symbol.StartsWith('.') ? symbol[1..] : symbol);

    public bool IsMessageType(string name) => _messageTypes.Contains(name.StartsWith('.') ? name[1..] : name);

    /// <summary>The file first, then its dependencies depth-first, each once.</summary>
    public static IEnumerable<FileDescriptor> WithDependencies(FileDescriptor file)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<FileDescriptor>();
        stack.Push(file);
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (!seen.Add(next.Name)) continue;
            yield return next;
            for (var i = next.Dependencies.Count - 1; i >= 0; i--) stack.Push(next.Dependencies[i]);
        }
    }

    private void AddFile(FileDescriptor file)
    {
        if (!_files.TryAdd(file.Name, file)) return;
        foreach (var dependency in file.Dependencies) AddFile(dependency);
        foreach (var service in file.Services)
        {
            _symbols.TryAdd(service.FullName, file);
            foreach (var method in service.Methods) _symbols.TryAdd($"{service.FullName}.{method.Name}", file);
        }
        foreach (var message in file.MessageTypes) AddMessage(message, file);
        foreach (var e in file.EnumTypes) AddEnum(e, file);
        foreach (var extension in file.Extensions.UnorderedExtensions) _symbols.TryAdd(extension.FullName, file);
    }

    private void AddMessage(MessageDescriptor message, FileDescriptor file)
    {
        _symbols.TryAdd(message.FullName, file);
        _messageTypes.Add(message.FullName);
        foreach (var field in message.Fields.InDeclarationOrder()) _symbols.TryAdd(field.FullName, file);
        foreach (var oneof in message.Oneofs) _symbols.TryAdd(oneof.FullName, file);
        foreach (var nested in message.NestedTypes) AddMessage(nested, file);
        foreach (var e in message.EnumTypes) AddEnum(e, file);
    }

    private void AddEnum(EnumDescriptor e, FileDescriptor file)
    {
        _symbols.TryAdd(e.FullName, file);
        foreach (var value in e.Values) _symbols.TryAdd(value.FullName, file);
    }
}
