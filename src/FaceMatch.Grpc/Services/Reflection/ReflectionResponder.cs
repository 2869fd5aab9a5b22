using FaceMatch.Grpc.Reflection.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace FaceMatch.Grpc.Services.Reflection;

/// <summary>
/// Answers one reflection stream's requests. A file answer carries the file and those of its dependencies
/// not yet sent on this stream, so a client can build every type it was told about.
/// </summary>
internal sealed class ReflectionResponder(DescriptorIndex index)
{
    private readonly HashSet<string> _sentFiles = new(StringComparer.Ordinal);

    public ServerReflectionResponse Answer(ServerReflectionRequest request)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                var list = new ListServiceResponse();
                foreach (var name in index.ServiceNames) list.Service.Add(new ServiceResponse { Name = name });
                response.ListServicesResponse = list;
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                SetFile(response, index.FindFile(request.FileByFilename), $"File not found: {request.FileByFilename}");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                SetFile(response, index.FindFileContainingSymbol(request.FileContainingSymbol), $"Symbol not found: {request.FileContainingSymbol}");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                var ext = request.FileContainingExtension;
                SetError(response, StatusCode.NotFound, $"Extension not found: {ext.ContainingType}({ext.ExtensionNumber})");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
                if (index.IsMessageType(request.AllExtensionNumbersOfType))
                    response.AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = request.AllExtensionNumbersOfType };
                else
                    SetError(response, StatusCode.NotFound, $"Type not found: {request.AllExtensionNumbersOfType}");
                break;
            default:
                SetError(response, StatusCode.InvalidArgument, "The reflection request names no question.");
                break;
        }
        return response;
    }

    private void SetFile(ServerReflectionResponse response, FileDescriptor? file, string notFound)
    {
        if (file is null)
        {
            SetError(response, StatusCode.NotFound, notFound);
            return;
        }
        var answer = new FileDescriptorResponse();
        foreach (var f in DescriptorIndex.WithDependencies(file))
        {
            if (f != file && _sentFiles.Contains(f.Name)) continue;
            _sentFiles.Add(f.Name);
            answer.FileDescriptorProto.Add(f.SerializedData);
        }
        response.FileDescriptorResponse = answer;
    }

    private static void SetError(ServerReflectionResponse response, StatusCode code, string message) =>
        response.ErrorResponse = new ErrorResponse { ErrorCode = (int)code, ErrorMessage = message };
}
