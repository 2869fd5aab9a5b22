using System.Buffers.Binary;
using System.Text.Json;
using FaceMatch.Models.Conversion.FaceApi;
using FaceMatch.Tests;

namespace FaceMatch.Models.Conversion.Tests.FaceApi;

public sealed class FaceApiWeightMapTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("facematch-weightmap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void DequantisesUint8InDoubleThenRoundsToFloat32AsTfjsDoes()
    {
        // Real scale/min from face_recognition_model: q * scale + min must be evaluated in double (JS numbers)
        // and only then stored as float32, or some values land one float32 ulp away from face-api's.
        const double scale = 0.0005260649557207145, min = -0.07101876902229645;
        byte[] q = [0, 1, 77, 135, 200, 255];
        WriteModel("m", [new { paths = new[] { "m.bin" }, weights = new object[]
        {
            new { name = "w", shape = new[] { 2, 3 }, dtype = "float32", quantization = new { dtype = "uint8", scale, min } },
        } }], ("m.bin", q));

        var map = FaceApiWeightMap.Load(_dir, "m");

        var w = map.Get("w", 2, 3);
        Assert.Equal(q.Select(v => (float)(v * scale + min)).ToArray(), w.Values);
        Assert.Equal(-0.07101876902229645f, w.Values[0]);
    }

    [Fact]
    public void ReadsWeightsAcrossShardsInEveryEncoding()
    {
        // One group of two shards; the float32 tensor straddles the shard boundary.
        var bytes = new List<byte>();
        void Floats(params float[] v) { foreach (var f in v) { var b = new byte[4]; BinaryPrimitives.WriteSingleLittleEndian(b, f); bytes.AddRange(b); } }
        void Ints(params int[] v) { foreach (var i in v) { var b = new byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, i); bytes.AddRange(b); } }
        void U16(params ushort[] v) { foreach (var u in v) { var b = new byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, u); bytes.AddRange(b); } }
        void Halves(params float[] v) { foreach (var f in v) { var b = new byte[2]; BinaryPrimitives.WriteHalfLittleEndian(b, (Half)f); bytes.AddRange(b); } }
        Floats(1.5f, -2.25f, 3e-8f);
        Ints(7, -9);
        U16(0, 1000, 65535);
        Halves(0.5f, -1.25f);
        bytes.AddRange(new byte[] { 2, 4 }); // uint8-quantised int32: rounded like Math.round
        var all = bytes.ToArray();
        WriteModel("sharded", [new { paths = new[] { "s-1.bin", "s-2.bin" }, weights = new object[]
        {
            new { name = "f32", shape = new[] { 3 }, dtype = "float32" },
            new { name = "i32", shape = new[] { 2 }, dtype = "int32" },
            new { name = "u16", shape = new[] { 3, 1 }, dtype = "float32", quantization = new { dtype = "uint16", scale = 0.001, min = -1.0 } },
            new { name = "f16", shape = new[] { 2 }, dtype = "float32", quantization = new { dtype = "float16" } },
            new { name = "qint", shape = new[] { 2 }, dtype = "int32", quantization = new { dtype = "uint8", scale = 0.25, min = 0.0 } },
        } }], ("s-1.bin", all[..6]), ("s-2.bin", all[6..]));

        var map = FaceApiWeightMap.Load(_dir, "sharded");

        Assert.Equal(5, map.Count);
        Assert.Equal([1.5f, -2.25f, 3e-8f], map["f32"].Values);
        Assert.Equal([7, -9], map["i32"].IntValues!);
        Assert.Equal([(float)(0 * 0.001 - 1), (float)(1000 * 0.001 - 1), (float)(65535 * 0.001 - 1)], map["u16"].Values);
        Assert.Equal([0.5f, -1.25f], map["f16"].Values);
        Assert.Equal([1, 1], map["qint"].IntValues!); // 0.5 -> 1 and 1.0 -> 1 (JavaScript Math.round)
        Assert.Equal(3, map.Files.Count);
    }

    [Fact]
    public void ReadsTheRealRecognitionModel()
    {
        var map = FaceApiWeightMap.Load(Path.Combine(TestPaths.Deps, "face-api", "package", "model"), "face_recognition_model");

        Assert.Equal(117, map.Count);
        var filters = map.Get("conv32_down/conv/filters", 7, 7, 3, 32);
        Assert.All(filters.Values, v => Assert.True(float.IsFinite(v)));
        Assert.Contains(filters.Values, v => v != 0);
        map.Get("fc", 256, 128);
        Assert.Equal(2, map.Files.Count);
    }

    [Fact]
    public void ShardShorterThanTheWeightsIsRefused()
    {
        WriteModel("short", [Group("short.bin", new { name = "w", shape = new[] { 4 }, dtype = "float32" })], ("short.bin", new byte[12]));
        var e = Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "short"));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("shards end at 12", e.Message);
    }

    [Fact]
    public void BytesLeftOverAfterTheWeightsAreRefused()
    {
        WriteModel("long", [Group("long.bin", new { name = "w", shape = new[] { 1 }, dtype = "float32" })], ("long.bin", new byte[8]));
        var e = Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "long"));
        Assert.Contains("hold 8 bytes but the weights listed use 4", e.Message);
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        WriteModel("gone", [Group("gone.bin", new { name = "w", shape = new[] { 1 }, dtype = "float32" })]);
        var e = Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "gone"));
        Assert.Contains("gone.bin not found", e.Message);
    }

    [Fact]
    public void ShardPathLeavingTheModelFolderIsRefused()
    {
        WriteModel("escape", [Group("../outside.bin", new { name = "w", shape = new[] { 1 }, dtype = "float32" })]);
        var e = Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "escape"));
        Assert.Contains("leaves the model folder", e.Message);
    }

    [Theory]
    [InlineData("""{"name":"w","shape":[1],"dtype":"bool"}""", "unsupported dtype 'bool'")]
    [InlineData("""{"name":"w","shape":[1],"dtype":"float32","quantization":{"dtype":"int4","scale":1,"min":0}}""", "unknown quantization dtype 'int4'")]
    [InlineData("""{"name":"w","shape":[1],"dtype":"float32","quantization":{"dtype":"uint8"}}""", "without 'scale' and 'min'")]
    [InlineData("""{"name":"w","shape":[-1],"dtype":"float32"}""", "negative dimension")]
    [InlineData("""{"name":"w","dtype":"float32"}""", "has no shape")]
    public void MalformedWeightSpecsAreRefusedWithTheReason(string weightJson, string reason)
    {
        File.WriteAllText(Path.Combine(_dir, "bad-weights_manifest.json"), $$"""[{"paths":["bad.bin"],"weights":[{{weightJson}}]}]""");
        File.WriteAllBytes(Path.Combine(_dir, "bad.bin"), new byte[4]);
        var e = Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "bad"));
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void InvalidJsonAndMissingManifestAreClearErrors()
    {
        File.WriteAllText(Path.Combine(_dir, "broken-weights_manifest.json"), "[{");
        Assert.Contains("not valid JSON", Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "broken")).Message);
        Assert.Contains("weights manifest not found", Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "absent")).Message);
    }

    [Fact]
    public void DuplicateNamesAndWrongShapesAreRefused()
    {
        WriteModel("dup", [Group("dup.bin",
            new { name = "w", shape = new[] { 1 }, dtype = "float32" },
            new { name = "w", shape = new[] { 1 }, dtype = "float32" })], ("dup.bin", new byte[8]));
        Assert.Contains("appears twice", Assert.Throws<FaceApiWeightsException>(() => FaceApiWeightMap.Load(_dir, "dup")).Message);

        WriteModel("one", [Group("one.bin", new { name = "w", shape = new[] { 2, 2 }, dtype = "float32" })], ("one.bin", new byte[16]));
        var map = FaceApiWeightMap.Load(_dir, "one");
        Assert.Contains("expected [2,3]", Assert.Throws<FaceApiWeightsException>(() => map.Get("w", 2, 3)).Message);
        Assert.Contains("'nope' is not in", Assert.Throws<FaceApiWeightsException>(() => map["nope"]).Message);
        Assert.Equal([2, 2], map.Get("w", -1, 2).Shape);
    }

    private static object Group(string path, params object[] weights) => new { paths = new[] { path }, weights };

    private void WriteModel(string name, object[] groups, params (string File, byte[] Bytes)[] shards)
    {
        File.WriteAllText(Path.Combine(_dir, name + "-weights_manifest.json"), JsonSerializer.Serialize(groups));
        foreach (var (file, data) in shards) File.WriteAllBytes(Path.Combine(_dir, file), data);
    }
}
