using System.Numerics;
using BenchmarkDotNet.Attributes;
using FaceMatch.Vision.Alignment;
using FaceMatch.Vision.Imaging;
using FaceMatch.Vision.Imaging.Encoders;

namespace FaceMatch.Bench.Vision;

/// <summary>
/// Decoding (full vs scaled in the IDCT), letterboxing and alignment warps on real photos: face-api's
/// demo sample1.jpg (1920×1280, from .deps) and the same photo enlarged to a 12 MP phone-camera size
/// (4032×3024, re-encoded at quality 90, 4:2:0).
///   dotnet run -c Release --project bench/FaceMatch.Bench -- --filter '*ImagingBenchmarks*'
/// </summary>
[MemoryDiagnoser]
public class ImagingBenchmarks
{
    private readonly ImageDecoder _decoder = new();
    private byte[] _photo2Mp = [];
    private byte[] _photo12Mp = [];
    private byte[] _png2Mp = [];
    private RgbImage _decoded12Mp = null!;
    private RgbImage _scaled12Mp = null!;
    private AffineMatrix _alignFull, _alignScaled;
    private readonly ImageTensorFormat _detector = new(256, 256) { Normalization = TensorNormalization.MinusOneToOne };
    private readonly ImageTensorFormat _embedder = new(112, 112) { Normalization = TensorNormalization.MinusOneToOne };
    private float[] _detectorTensor = [];
    private float[] _embedderTensor = [];

    // ArcFace 5-point template (112×112) and landmarks of a face about 600 px wide in the 12 MP photo.
    private static readonly Vector2[] Template =
    [
        new(38.2946f, 51.6963f), new(73.5318f, 51.5014f), new(56.0252f, 71.7366f),
        new(41.5493f, 92.3655f), new(70.7299f, 92.2041f),
    ];

    [GlobalSetup]
    public void Setup()
    {
        _photo2Mp = File.ReadAllBytes(Path.Combine(BenchPaths.RepoRoot, ".deps", "face-api", "package", "demo", "sample1.jpg"));
        using (var small = _decoder.Decode(_photo2Mp))
        {
            var enlarge = AffineMatrix.Scaling(4032.0 / small.Width, 3024.0 / small.Height);
            using var big = AffineWarp.ToRgb(small, enlarge, 4032, 3024);
            _photo12Mp = JpegEncoder.Encode(big, 90, JpegSubsampling.S420);
            _png2Mp = PngEncoder.Encode(small);
        }
        _decoded12Mp = _decoder.Decode(_photo12Mp);
        _scaled12Mp = _decoder.Decode(_photo12Mp, new DecodeTarget(MinLongSide: 640));

        var faceInFull = Template.Select(p => (p - new Vector2(56, 56)) * 5.5f + new Vector2(2000, 1300)).ToArray();
        _alignFull = SimilarityTransform.Estimate(faceInFull, Template).Matrix;
        var k = (float)_scaled12Mp.Width / _decoded12Mp.Width;
        _alignScaled = SimilarityTransform.Estimate(faceInFull.Select(p => p * k).ToArray(), Template).Matrix;
        _detectorTensor = new float[_detector.ElementCount];
        _embedderTensor = new float[_embedder.ElementCount * 8];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decoded12Mp.Dispose();
        _scaled12Mp.Dispose();
    }

    [Benchmark]
    public ImageInfo Identify12Mp() => _decoder.Identify(_photo12Mp);

    [Benchmark]
    public int Decode12MpFull()
    {
        using var image = _decoder.Decode(_photo12Mp);
        return image.Width;
    }

    [Benchmark]
    public int Decode12MpScaledTo640()
    {
        using var image = _decoder.Decode(_photo12Mp, new DecodeTarget(MinLongSide: 640)); // 1/4: 1008×756
        return image.Width;
    }

    [Benchmark]
    public int Decode2MpFull()
    {
        using var image = _decoder.Decode(_photo2Mp);
        return image.Width;
    }

    [Benchmark]
    public int Decode2MpScaledTo640()
    {
        using var image = _decoder.Decode(_photo2Mp, new DecodeTarget(MinLongSide: 640)); // 1/2: 960×640
        return image.Width;
    }

    [Benchmark]
    public int DecodePng2Mp()
    {
        using var image = _decoder.Decode(_png2Mp);
        return image.Width;
    }

    [Benchmark]
    public LetterboxTransform LetterboxScaledTo256() => Letterbox.ToTensor(_scaled12Mp, _detector, _detectorTensor);

    [Benchmark]
    public LetterboxTransform LetterboxFull12MpTo256() => Letterbox.ToTensor(_decoded12Mp, _detector, _detectorTensor);

    [Benchmark]
    public void WarpTo112FromScaled() =>
        AffineWarp.ToTensor(_scaled12Mp, _alignScaled, _embedder, _embedderTensor.AsSpan(_embedder.ElementCount * 3, _embedder.ElementCount));

    [Benchmark]
    public void WarpTo112FromFull12Mp() =>
        AffineWarp.ToTensor(_decoded12Mp, _alignFull, _embedder, _embedderTensor.AsSpan(0, _embedder.ElementCount));

    [Benchmark]
    public void WarpTo112FromFull12MpNoSupersampling() =>
        AffineWarp.ToTensor(_decoded12Mp, _alignFull, _embedder, _embedderTensor.AsSpan(0, _embedder.ElementCount), supersample: 1);
}
