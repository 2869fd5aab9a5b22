using FaceMatch.Vault.Protection;
using FaceMatch.Vault.Tests.Support;

namespace FaceMatch.Vault.Tests;

/// <summary>The per-tenant rotation: scores inside a tenant unchanged, templates across tenants unlinkable.</summary>
public sealed class ProtectionTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(3)]
    [InlineData(128)]
    [InlineData(192)]
    [InlineData(512)]
    public void Generated_matrix_is_orthonormal_for_any_dimension(int dimension)
    {
        var q = OrthonormalMatrix.Generate(new byte[] { 1, 2, 3 }, dimension);
        var worst = 0.0;
        for (var i = 0; i < dimension; i++)
            for (var j = i; j < dimension; j++)
            {
                var dot = 0.0;
                for (var k = 0; k < dimension; k++) dot += q[i, k] * (double)q[j, k];
                worst = Math.Max(worst, Math.Abs(dot - (i == j ? 1 : 0)));
            }
        Assert.True(worst < 1e-5, $"Q·Qᵀ differs from I by {worst}");
    }

    [Fact]
    public void Matrix_depends_on_the_seed_only()
    {
        var a = OrthonormalMatrix.Generate(new byte[] { 9 }, 64);
        var b = OrthonormalMatrix.Generate(new byte[] { 9 }, 64);
        var c = OrthonormalMatrix.Generate(new byte[] { 10 }, 64);
        Assert.Equal(a[5, 7], b[5, 7]);
        Assert.NotEqual(a[5, 7], c[5, 7]);
        var x = TestVault.RandomVector(new Random(1), 64);
        var y = new float[64];
        var back = new float[64];
        a.Apply(x, y);
        a.ApplyTranspose(y, back);
        for (var i = 0; i < 64; i++) Assert.Equal(x[i], back[i], 1e-5);
    }

    [Fact]
    public async Task Cosine_scores_inside_a_tenant_are_preserved()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
        var random = new Random(42);
        var enrolled = new List<(string Id, float[] Raw)>();
        for (var i = 0; i < 20; i++)
        {
            var raw = TestVault.RandomVector(random);
            enrolled.Add((await vault.Templates.AddAsync(tenant, raw, "m"), raw));
        }
        for (var p = 0; p < 20; p++)
        {
            // Probes near the enrolled vectors (same person) and random ones (someone else).
            var probe = p % 2 == 0
                ? enrolled[p].Raw.Select(v => v + (float)(random.NextDouble() * 0.2 - 0.1)).ToArray()
                : TestVault.RandomVector(random);
            var protectedProbe = vault.Templates.ProtectProbe(tenant, probe);
            foreach (var (id, raw) in enrolled)
            {
                var stored = await vault.Templates.GetAsync(tenant, id, markUsed: false);
                Assert.NotNull(stored);
                var expected = TestVault.Cosine(raw, probe);
                var actual = TestVault.Cosine(stored!.ProtectedTemplate, protectedProbe);
                Assert.True(Math.Abs(expected - actual) < 1e-5, $"score {actual} differs from {expected}");
            }
        }
        // The stored vector is not the enrolled one.
        var first = await vault.Templates.GetAsync(tenant, enrolled[0].Id, markUsed: false);
        Assert.True(TestVault.Cosine(first!.ProtectedTemplate, enrolled[0].Raw) < 0.5);
    }

    [Fact]
    public async Task Same_face_in_two_tenants_gives_unrelated_templates()
    {
        await using var vault = await TestVault.OpenAsync(_dir.Path);
        var a = (await vault.Tenants.CreateAsync("a")).TenantId;
        var b = (await vault.Tenants.CreateAsync("b")).TenantId;
        var random = new Random(7);
        var crossTenant = new List<double>();
        var unrelated = new List<double>();
        for (var i = 0; i < 300; i++)
        {
            var face = TestVault.RandomVector(random);
            var other = TestVault.RandomVector(random);
            var inA = vault.Templates.ProtectProbe(a, face);
            var inB = vault.Templates.ProtectProbe(b, face);
            crossTenant.Add(TestVault.Cosine(inA, inB));
            unrelated.Add(TestVault.Cosine(face, other));
            Assert.True(Math.Abs(TestVault.Cosine(inA, vault.Templates.ProtectProbe(a, face)) - 1) < 1e-6);
        }
        // Same person across tenants looks like two random vectors: mean ~0, spread ~1/sqrt(128).
        double Mean(List<double> xs) => xs.Average();
        double Std(List<double> xs) => Math.Sqrt(xs.Average(x => (x - xs.Average()) * (x - xs.Average())));
        Assert.InRange(Mean(crossTenant), -0.03, 0.03);
        Assert.InRange(Std(crossTenant), 0.6 / Math.Sqrt(128), 1.4 / Math.Sqrt(128));
        Assert.True(crossTenant.Max() < 0.5, $"max cross-tenant cosine {crossTenant.Max()}");
        Assert.InRange(Std(crossTenant) / Std(unrelated), 0.7, 1.4);
    }

    [Fact]
    public async Task Rotation_is_rebuilt_identically_after_restart()
    {
        var face = TestVault.RandomVector(new Random(3));
        string tenant, id;
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            tenant = (await vault.Tenants.CreateAsync("acme")).TenantId;
            id = await vault.Templates.AddAsync(tenant, face, "m");
        }
        await using (var vault = await TestVault.OpenAsync(_dir.Path))
        {
            var stored = await vault.Templates.GetAsync(tenant, id, markUsed: false);
            Assert.True(TestVault.Cosine(stored!.ProtectedTemplate, vault.Templates.ProtectProbe(tenant, face)) > 1 - 1e-6);
        }
    }
}
