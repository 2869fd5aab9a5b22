using System.Runtime.CompilerServices;
using FaceMatch.Vision.Imaging.Native;

namespace FaceMatch.Vision.Tests.Imaging;

public class NativeLayoutTests
{
    [Fact]
    public void Abi_version_matches_the_managed_declarations() =>
        Assert.Equal(ImagingNative.ExpectedAbiVersion, ImagingNative.fm_abi_version());

    [Fact]
    public void Every_mirrored_struct_has_the_native_size()
    {
        Assert.Equal(ImagingNative.fm_struct_size(0), Unsafe.SizeOf<NativeError>());
        Assert.Equal(ImagingNative.fm_struct_size(1), Unsafe.SizeOf<NativeDecodeOptions>());
        Assert.Equal(ImagingNative.fm_struct_size(2), Unsafe.SizeOf<NativeImageInfo>());
        Assert.Equal(ImagingNative.fm_struct_size(3), Unsafe.SizeOf<NativeImage>());
        Assert.Equal(ImagingNative.fm_struct_size(4), Unsafe.SizeOf<NativeTensorFormat>());
        Assert.Equal(ImagingNative.fm_struct_size(5), Unsafe.SizeOf<NativeLetterbox>());
        Assert.Equal(ImagingNative.fm_struct_size(6), Unsafe.SizeOf<NativeRegionStats>());
        Assert.Equal(ImagingNative.fm_struct_size(7), Unsafe.SizeOf<NativeBuffer>());
        Assert.Equal(ImagingNative.fm_struct_size(8), Unsafe.SizeOf<NativePngParams>());
    }

    [Fact]
    public void Library_is_found_through_the_resolver_candidates()
    {
        var candidates = NativeLibraryLoader.CandidatePaths(ImagingNative.Library, typeof(ImagingNative).Assembly);
        Assert.Contains(candidates, File.Exists);
    }
}
