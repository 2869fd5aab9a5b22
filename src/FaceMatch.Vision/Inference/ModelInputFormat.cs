using FaceMatch.Models.Manifest;
using FaceMatch.Vision.Imaging;

namespace FaceMatch.Vision.Inference;

/// <summary>Translates a manifest entry's input description into the tensor format the imaging layer writes.</summary>
public static class ModelInputFormat
{
    /// <summary>Width and height from the shape (NHWC: [n, h, w, c]; NCHW: [n, c, h, w]), layout, colour order and normalisation.</summary>
    public static ImageTensorFormat ToTensorFormat(this ModelInput input)
    {
        var nchw = input.Layout.Equals("NCHW", StringComparison.OrdinalIgnoreCase);
        if (input.Shape.Length != 4)
            throw new ModelManifestException($"input '{input.Name}': an image model needs a 4-D input shape");
        var (h, w) = nchw ? (input.Shape[2], input.Shape[3]) : (input.Shape[1], input.Shape[2]);
        if (h <= 0 || w <= 0)
            throw new ModelManifestException($"input '{input.Name}': image height and width must be fixed");
        return new ImageTensorFormat(w, h)
        {
            Layout = nchw ? TensorLayout.Nchw : TensorLayout.Nhwc,
            Channels = input.ColorOrder.Equals("BGR", StringComparison.OrdinalIgnoreCase) ? ChannelOrder.Bgr : ChannelOrder.Rgb,
            Normalization = new TensorNormalization(input.Mean[0], input.Mean[1], input.Mean[2], input.Scale[0], input.Scale[1], input.Scale[2]),
        };
    }
}
