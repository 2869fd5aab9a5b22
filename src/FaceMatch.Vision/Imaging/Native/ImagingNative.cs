using System.Runtime.InteropServices;

namespace FaceMatch.Vision.Imaging.Native;

/// <summary>P/Invoke declarations for libfacematch_imaging (native/imaging). Callers pin everything they pass.</summary>
internal static unsafe partial class ImagingNative
{
    public const string Library = "facematch_imaging";

    /// <summary>FM_ABI_VERSION of the header these declarations were written against.</summary>
    public const int ExpectedAbiVersion = 3;

    public const int Ok = 0;

    static ImagingNative()
    {
        var actual = fm_abi_version();
        if (actual != ExpectedAbiVersion)
            throw new InvalidOperationException(
                $"lib{Library}.so has ABI version {actual}, this build expects {ExpectedAbiVersion}: rebuild it (make native).");
    }

    [LibraryImport(Library)]
    internal static partial int fm_abi_version();

    [LibraryImport(Library)]
    internal static partial int fm_struct_size(int which);

    [LibraryImport(Library)]
    internal static partial int fm_decoder_open(byte* data, nuint length, NativeDecodeOptions* options, nint* decoder,
        NativeImageInfo* info, NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_decoder_decode(nint decoder, byte* destination, int stride, nuint length,
        NativeError* error);

    [LibraryImport(Library)]
    internal static partial void fm_decoder_close(nint decoder);

    [LibraryImport(Library)]
    internal static partial int fm_letterbox_f32(NativeImage* source, NativeTensorFormat* format, float* destination,
        nuint length, NativeLetterbox* result, NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_warp_affine_f32(NativeImage* source, double* matrix, NativeTensorFormat* format,
        int supersample, float* destination, nuint length, NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_warp_affine_rgb8(NativeImage* source, double* matrix, byte* fill, int supersample,
        NativeImage* destination, NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_image_to_f32(NativeImage* source, NativeTensorFormat* format, float* destination,
        nuint length, NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_simd_override(int mode);

    [LibraryImport(Library)]
    internal static partial int fm_rgb_to_gray(NativeImage* source, byte* destination, int stride, nuint length,
        NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_region_stats_compute(NativeImage* source, int x, int y, int width, int height,
        NativeRegionStats* result, NativeError* error);

    [LibraryImport(Library)]
    internal static partial void fm_buffer_free(NativeBuffer* buffer);

    [LibraryImport(Library)]
    internal static partial int fm_png_encode(NativePngParams* parameters, NativeBuffer* output, NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_jpeg_encode(byte* pixels, int width, int height, int stride, int pixelKind,
        int quality, int subsampling, int progressive, NativeBuffer* output, NativeError* error);

    [LibraryImport(Library)]
    internal static partial int fm_webp_encode(byte* pixels, int width, int height, int stride, int channels, int quality,
        int lossless, NativeBuffer* output, NativeError* error);

    /// <summary>Copies a native encoder buffer into a managed array and releases it.</summary>
    internal static byte[] TakeBuffer(ref NativeBuffer buffer)
    {
        try
        {
            return new ReadOnlySpan<byte>(buffer.Data, checked((int)buffer.Length)).ToArray();
        }
        finally
        {
            fixed (NativeBuffer* b = &buffer)
                fm_buffer_free(b);
        }
    }
}
