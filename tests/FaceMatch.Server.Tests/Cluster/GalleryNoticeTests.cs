using FaceMatch.Server.Cluster;

namespace FaceMatch.Server.Tests.Cluster;

public sealed class GalleryNoticeTests
{
    [Theory]
    [InlineData(NoticeOp.Stored, 3, 17L)]
    [InlineData(NoticeOp.Removed, 0, 1L)]
    [InlineData(NoticeOp.TenantDeleted, -1, 0L)]
    [InlineData(NoticeOp.TenantReload, -1, 0L)]
    public void A_notice_reads_back_as_written(NoticeOp op, int shard, long version)
    {
        var notice = new GalleryNotice(op, "tenant-é", shard, op is NoticeOp.Stored or NoticeOp.Removed ? "tpl-1" : "", version);
        Assert.Equal(notice, GalleryNotice.Decode(notice.Encode()));
    }

    [Fact]
    public void Bytes_that_are_not_a_whole_notice_read_as_none()
    {
        var bytes = new GalleryNotice(NoticeOp.Stored, "t", 1, "id", 2).Encode();
        Assert.Null(GalleryNotice.Decode(bytes[..^1]));
        Assert.Null(GalleryNotice.Decode([.. bytes, 0]));
        Assert.Null(GalleryNotice.Decode([]));
        var otherLayout = (byte[])bytes.Clone();
        otherLayout[0] = 9;
        Assert.Null(GalleryNotice.Decode(otherLayout));
        var otherOp = (byte[])bytes.Clone();
        otherOp[1] = 0;
        Assert.Null(GalleryNotice.Decode(otherOp));
    }
}
