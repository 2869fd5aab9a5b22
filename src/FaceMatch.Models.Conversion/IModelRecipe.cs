using FaceMatch.Models.Manifest;

namespace FaceMatch.Models.Conversion;

/// <summary>
/// One model the build converts: it reads its source files from an unpacked pinned package,
/// writes an ONNX file into the output folder and returns the manifest entry describing it.
/// </summary>
public interface IModelRecipe
{
    string Id { get; }
    ModelEntry Convert(ConversionContext context);
}

/// <param name="DepsDir">Folder holding the unpacked packages (.deps/&lt;dir&gt;/package/...).</param>
/// <param name="OutDir">Folder the ONNX files and the manifest go to.</param>
public sealed record ConversionContext(string DepsDir, string OutDir);
