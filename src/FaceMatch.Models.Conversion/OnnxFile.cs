using Google.Protobuf;
using Onnx;

namespace FaceMatch.Models.Conversion;

public static class OnnxFile
{
    /// <summary>
    /// Writes <c>&lt;id&gt;.onnx</c> into <paramref name="outDir"/>, through a temporary name so a failed conversion
    /// never leaves a truncated model behind. Returns the file name (relative, for the manifest) and its full path.
    /// </summary>
    public static (string FileName, string Path) Write(ModelProto model, string outDir, string id)
    {
        Directory.CreateDirectory(outDir);
        var fileName = id + ".onnx";
        var outPath = System.IO.Path.Combine(outDir, fileName);
        var tmp = outPath + ".tmp";
        using (var stream = File.Create(tmp)) model.WriteTo(stream);
        File.Move(tmp, outPath, overwrite: true);
        return (fileName, outPath);
    }
}
