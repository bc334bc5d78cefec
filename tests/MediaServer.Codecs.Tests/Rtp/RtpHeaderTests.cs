using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Rtp;

public class RtpHeaderTests
{
    [Fact]
    public void Rewriting_header_fields_changes_only_those_fields()
    {
        byte[] original = Hex.Capture("vp8.hex", "frame0-packet6-last");
        byte[] packet = (byte[])original.Clone();

        RtpHeader.SetPayloadType(packet, 100);
        RtpHeader.SetSequenceNumber(packet, 0xFFFE);
        RtpHeader.SetTimestamp(packet, 0xCAFEBABE);
        RtpHeader.SetSsrc(packet, 0x11223344);

        Assert.True(RtpPacket.TryParse(packet, out var p));
        Assert.True(p.Marker); // the marker shares its byte with the payload type and must survive
        Assert.Equal(100, p.PayloadType);
        Assert.Equal(0xFFFE, p.SequenceNumber);
        Assert.Equal(0xCAFEBABEu, p.Timestamp);
        Assert.Equal(0x11223344u, p.Ssrc);
        Assert.Equal(original.AsSpan(12).ToArray(), packet.AsSpan(12).ToArray());
        Assert.Equal(original[0], packet[0]);
        Assert.Equal(100, RtpHeader.GetPayloadType(packet));
        Assert.Equal(0xFFFE, RtpHeader.GetSequenceNumber(packet));
        Assert.Equal(0xCAFEBABEu, RtpHeader.GetTimestamp(packet));
        Assert.Equal(0x11223344u, RtpHeader.GetSsrc(packet));
    }

    [Fact]
    public void SetPayloadType_keeps_a_clear_marker_clear_and_SetMarker_keeps_the_payload_type()
    {
        byte[] packet = Hex.Capture("vp8.hex", "frame0-packet0");
        RtpHeader.SetPayloadType(packet, 127);
        Assert.False(RtpHeader.GetMarker(packet));
        RtpHeader.SetMarker(packet, true);
        Assert.True(RtpHeader.GetMarker(packet));
        Assert.Equal(127, RtpHeader.GetPayloadType(packet));
        RtpHeader.SetMarker(packet, false);
        Assert.Equal(0x7F, packet[1]);
    }

    [Fact]
    public void SetPayloadType_refuses_a_value_that_would_overwrite_the_marker()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RtpHeader.SetPayloadType(new byte[12], 128));
    }

    [Fact]
    public void Rtcp_sender_report_captured_from_ffmpeg_is_told_apart_from_rtp()
    {
        var capture = Hex.ReadCapture("opus.hex");
        Assert.True(RtpDemux.IsRtcp(capture["rtcp-first"]));
        Assert.False(RtpDemux.IsRtcp(capture["rtp0"])); // PT 111 with the marker set: second byte 0xEF
    }

    [Theory]
    [InlineData(191, false)]
    [InlineData(192, true)]
    [InlineData(200, true)]
    [InlineData(206, true)]
    [InlineData(223, true)]
    [InlineData(224, false)]
    [InlineData(96, false)]
    public void IsRtcp_follows_the_RFC_5761_packet_type_range(int secondByte, bool isRtcp)
    {
        Assert.Equal(isRtcp, RtpDemux.IsRtcp([0x80, (byte)secondByte, 0, 1]));
    }

    [Fact]
    public void IsRtcp_is_false_for_a_datagram_too_short_to_tell()
    {
        Assert.False(RtpDemux.IsRtcp([0x80]));
        Assert.False(RtpDemux.IsRtcp([]));
    }
}
