using FaceMatch.Models.Manifest;

namespace FaceMatch.Vision.Tests.Inference;

/// <summary>
/// The server loads models through the manifest and ONNX Runtime only: neither Vision nor Models may need the
/// converters (FaceMatch.Models.Conversion) or their generated onnx.proto classes (Google.Protobuf).
/// </summary>
public class ConverterIsolationTests
{
    [Fact]
    public void VisionAndModelsReferenceNeitherTheConverterNorProtobuf()
    {
        foreach (var assembly in new[] { typeof(FaceAnalyzer).Assembly, typeof(ModelManifest).Assembly })
        {
            var references = assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();
            Assert.Contains("Microsoft.ML.OnnxRuntime", references); // both run sessions, so the list is the real one
            Assert.DoesNotContain("FaceMatch.Models.Conversion", references);
            Assert.DoesNotContain("Google.Protobuf", references);
        }
    }
}
