using MediaServer.Codecs.Rtp;
using MediaServer.Media;

namespace MediaServer.Tests.Routing;

/// <summary>Keeps a copy of every datagram "sent", in place of a socket.</summary>
internal sealed class RecordingSender : IRtpSender
{
    public List<byte[]> Sent { get; } = [];

    public bool IsReady => true;

    public bool TrySend(ReadOnlySpan<byte> packet)
    {
        Sent.Add(packet.ToArray());
        return true;
    }

    public static ushort Sequence(byte[] packet) => RtpHeader.GetSequenceNumber(packet);

    public List<(ushort Seq, uint Ts, uint Ssrc, byte Pt)> Headers() =>
        Sent.Select(p => (RtpHeader.GetSequenceNumber(p), RtpHeader.GetTimestamp(p), RtpHeader.GetSsrc(p), RtpHeader.GetPayloadType(p))).ToList();
}

internal static class Packets
{
    public static byte[] Rtp(byte payloadType, ushort sequence, uint timestamp, uint ssrc, int payloadLength = 100)
    {
        var buffer = new byte[12 + payloadLength];
        Assert.True(RtpPacketWriter.TryWrite(buffer, new RtpHeaderFields(false, payloadType, sequence, timestamp, ssrc), new byte[payloadLength], out var written));
        return buffer[..written];
    }

    public static RtpHeaderInfo Info(byte[] packet)
    {
        Assert.True(RtpPacket.TryParse(packet, out var parsed));
        return new RtpHeaderInfo(parsed.SequenceNumber, parsed.Timestamp, parsed.Ssrc, parsed.PayloadType, parsed.Marker, parsed.HeaderLength);
    }
}
