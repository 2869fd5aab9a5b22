namespace FaceMatch.Vault.Tests;

public sealed class OpaqueIdTests
{
    [Fact]
    public void Ids_are_22_url_safe_characters_and_round_trip()
    {
        for (var i = 0; i < 1000; i++)
        {
            var text = OpaqueId.New().ToString();
            Assert.Equal(22, text.Length);
            Assert.All(text, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"'{c}' is not URL-safe"));
            Assert.True(OpaqueId.TryParse(text, out var parsed));
            Assert.Equal(text, parsed.ToString());
        }
    }

    [Fact]
    public void Ids_carry_128_random_bits()
    {
        var ids = Enumerable.Range(0, 20_000).Select(_ => OpaqueId.New()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // Every bit position is set in about half of the ids: no fixed, time or counter bits.
        for (var bit = 0; bit < 128; bit++)
        {
            var ones = ids.Count(id => ((id.Value >> bit) & 1) == 1);
            Assert.InRange(ones, 9_400, 10_600);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA")] // 23
    [InlineData("AAAAAAAAAAAAAAAAAAAA+A")] // not URL-safe
    [InlineData("AAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAB")] // non-canonical: unused low bits set
    public void Malformed_ids_are_rejected(string? text) => Assert.False(OpaqueId.TryParse(text, out _));
}
