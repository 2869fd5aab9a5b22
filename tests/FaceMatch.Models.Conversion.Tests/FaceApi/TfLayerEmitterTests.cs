using FaceMatch.Models.Conversion.FaceApi;

namespace FaceMatch.Models.Conversion.Tests.FaceApi;

public class TfLayerEmitterTests
{
    [Theory]
    // TensorFlow SAME: output = ceil(in / stride); the odd pad goes at the end (bottom/right).
    [InlineData(512, 3, 2, TfPadding.Same, 256, 0, 1)]
    [InlineData(150, 3, 1, TfPadding.Same, 150, 1, 1)]
    [InlineData(7, 3, 2, TfPadding.Same, 4, 1, 1)]
    [InlineData(2, 3, 2, TfPadding.Same, 1, 0, 1)]
    [InlineData(16, 1, 2, TfPadding.Same, 8, 0, 0)]
    // VALID: output = floor((in - kernel) / stride) + 1, no padding.
    [InlineData(150, 7, 2, TfPadding.Valid, 72, 0, 0)]
    [InlineData(72, 3, 2, TfPadding.Valid, 35, 0, 0)]
    [InlineData(35, 2, 2, TfPadding.Valid, 17, 0, 0)]
    [InlineData(4, 3, 2, TfPadding.Valid, 1, 0, 0)]
    public void SpatialSizesAndPadsFollowTensorFlow(int input, int kernel, int stride, TfPadding padding, int output, int begin, int end) =>
        Assert.Equal((output, begin, end), TfLayerEmitter.TfSpatial(input, kernel, stride, padding));

    [Fact]
    public void ValidWindowLargerThanTheInputIsAnError() =>
        Assert.Throws<InvalidOperationException>(() => TfLayerEmitter.TfSpatial(2, 3, 1, TfPadding.Valid));
}
