using System.Net;
using FaceMatch.Vault.Storage.Cluster;

namespace FaceMatch.Vault.Tests;

/// <summary>
/// Which writes a WAIT round may confirm: a WAIT speaks for its own connection only, so a connection lost between a
/// write and the round that would confirm it leaves that write unconfirmed, whatever a later round says.
/// </summary>
public sealed class WriteLedgerTests
{
    private static readonly EndPoint A = new IPEndPoint(IPAddress.Loopback, 7000), B = new IPEndPoint(IPAddress.Loopback, 7001);

    [Fact]
    public void A_confirmed_round_confirms_the_writes_before_it_on_the_primaries_written_to()
    {
        var ledger = new WriteLedger();
        var first = ledger.Written(A);
        var last = ledger.Written(B);
        var round = ledger.BeginRound();
        Assert.Equal([A, B], round.Primaries.OrderBy(p => ((IPEndPoint)p).Port));
        ledger.EndRound(round, confirmed: true);
        Assert.True(ledger.IsAccounted(last));
        Assert.True(ledger.IsIntact(first, last));
        // Nothing written since: the next round has no primary to ask.
        Assert.Empty(ledger.BeginRound().Primaries);
    }

    [Fact]
    public void A_connection_lost_before_the_round_breaks_the_writes_it_carried_even_if_a_later_round_succeeds()
    {
        var ledger = new WriteLedger();
        var lost = ledger.Written(A);
        ledger.ConnectionLost();
        var later = ledger.Written(A);
        var round = ledger.BeginRound();
        ledger.EndRound(round, confirmed: true);
        Assert.False(ledger.IsIntact(lost, lost));
        Assert.True(ledger.IsIntact(later, later));
    }

    [Fact]
    public void A_connection_lost_during_the_round_or_an_unconfirmed_round_confirms_nothing()
    {
        var ledger = new WriteLedger();
        var w = ledger.Written(A);
        var round = ledger.BeginRound();
        ledger.ConnectionLost();
        ledger.EndRound(round, confirmed: true);
        Assert.False(ledger.IsIntact(w, w));

        var v = ledger.Written(B);
        var next = ledger.BeginRound();
        ledger.EndRound(next, confirmed: false);
        Assert.True(ledger.IsAccounted(v));
        Assert.False(ledger.IsIntact(v, v));
    }
}
