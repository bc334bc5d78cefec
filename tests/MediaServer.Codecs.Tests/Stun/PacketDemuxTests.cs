using MediaServer.Codecs.Stun;
using MediaServer.Codecs.Tests.Stun.TestData;

namespace MediaServer.Codecs.Tests.Stun;

public class PacketDemuxTests
{
    [Fact]
    public void Every_first_byte_falls_in_the_rfc_7983_range_for_it()
    {
        for (int first = 0; first < 256; first++)
        {
            PacketKind expected = first switch
            {
                >= 0 and <= 3 => PacketKind.Stun,
                >= 16 and <= 19 => PacketKind.Zrtp,
                >= 20 and <= 63 => PacketKind.Dtls,
                >= 64 and <= 79 => PacketKind.TurnChannel,
                >= 128 and <= 191 => PacketKind.RtpOrRtcp,
                _ => PacketKind.Unknown,
            };

            Assert.Equal(expected, PacketDemux.Classify([(byte)first, 0, 0, 0]));
        }
    }

    [Theory]
    [InlineData(3, PacketKind.Stun)]
    [InlineData(4, PacketKind.Unknown)]
    [InlineData(15, PacketKind.Unknown)]
    [InlineData(16, PacketKind.Zrtp)]
    [InlineData(19, PacketKind.Zrtp)]
    [InlineData(20, PacketKind.Dtls)]
    [InlineData(22, PacketKind.Dtls)] // a DTLS handshake record
    [InlineData(63, PacketKind.Dtls)]
    [InlineData(64, PacketKind.TurnChannel)]
    [InlineData(79, PacketKind.TurnChannel)]
    [InlineData(80, PacketKind.Unknown)]
    [InlineData(127, PacketKind.Unknown)]
    [InlineData(128, PacketKind.RtpOrRtcp)]
    [InlineData(0x80 | 0x10, PacketKind.RtpOrRtcp)] // V=2 with an extension
    [InlineData(191, PacketKind.RtpOrRtcp)]
    [InlineData(192, PacketKind.Unknown)]
    [InlineData(255, PacketKind.Unknown)]
    public void Range_edges_classify_as_rfc_7983_says(byte first, PacketKind expected)
    {
        Assert.Equal(expected, PacketDemux.Classify([first]));
    }

    [Fact]
    public void Empty_datagram_is_unknown()
    {
        Assert.Equal(PacketKind.Unknown, PacketDemux.Classify([]));
    }

    [Fact]
    public void Real_stun_messages_classify_as_stun()
    {
        Assert.Equal(PacketKind.Stun, PacketDemux.Classify(Rfc5769.SampleRequest));
        Assert.Equal(PacketKind.Stun, PacketDemux.Classify(Rfc5769.SampleIPv6Response));
        Assert.Equal(PacketKind.Stun, PacketDemux.Classify(IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(1))));
    }
}
