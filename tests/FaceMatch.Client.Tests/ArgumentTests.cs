using FaceMatch.Api.V1;

namespace FaceMatch.Client.Tests;

/// <summary>Arguments no server would accept fail at once, before any call (nothing listens at the address).</summary>
public sealed class ArgumentTests : IDisposable
{
    private static readonly FaceMatchClientOptions Nowhere = new() { Address = new Uri("http://127.0.0.1:1"), Token = "fm_unused" };
    private readonly FaceMatchClient _client = new(Nowhere);
    private readonly FaceMatchAdminClient _admin = new(Nowhere);
    private static readonly IAsyncEnumerable<SessionFrame> NoFrames = Support.Frames.None();

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Template_ids_must_be_given(string? id)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _client.DeleteTemplateAsync(id!));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _client.ExportTemplateAsync(id!));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _client.AuthenticateAsync(id!, NoFrames));
        Assert.ThrowsAny<ArgumentException>(() => _client.StartAuthenticate(id!, NoFrames));
        if (id is not null) Assert.ThrowsAny<ArgumentException>(() => _client.StartEnroll(NoFrames, templateId: id));
    }

    [Fact]
    public async Task Sessions_need_frames_and_a_sensible_top_k()
    {
        Assert.Throws<ArgumentNullException>(() => _client.StartEnroll(null!));
        Assert.Throws<ArgumentNullException>(() => _client.StartIdentify(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _client.EnrollAsync(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => _client.StartIdentify(NoFrames, topK: -1));
    }

    [Fact]
    public async Task Compare_needs_two_images()
    {
        Assert.Equal("imageA", (await Assert.ThrowsAsync<ArgumentException>(() => _client.CompareAsync(ReadOnlyMemory<byte>.Empty, new byte[] { 1 }))).ParamName);
        Assert.Equal("imageB", (await Assert.ThrowsAsync<ArgumentException>(() => _client.CompareAsync(new byte[] { 1 }, ReadOnlyMemory<byte>.Empty))).ParamName);
    }

    [Fact]
    public async Task Admin_calls_check_their_arguments()
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _admin.CreateTenantAsync(""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _admin.GetPolicyAsync(" "));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _admin.SetPolicyAsync("t", null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _admin.UpdatePolicyAsync("t", null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _admin.IssueTokenAsync("t", TokenMode.Unspecified));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _admin.RevokeTokenAsync(""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _admin.GetUsageAsync(""));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => _admin.DeleteTenantAsync(""));
    }

    public void Dispose()
    {
        _client.Dispose();
        _admin.Dispose();
    }
}
