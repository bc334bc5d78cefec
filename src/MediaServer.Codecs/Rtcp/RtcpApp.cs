using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>An application-defined packet (RFC 3550 §6.7): subtype, SSRC, a four-character name and opaque data.</summary>
public readonly ref struct RtcpApp
{
    private readonly ReadOnlySpan<byte> _body;

    private RtcpApp(ReadOnlySpan<byte> body, int subtype)
    {
        _body = body;
        Subtype = subtype;
    }

    public int Subtype { get; }

    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_body);

    /// <summary>The four ASCII characters naming the application.</summary>
    public ReadOnlySpan<byte> Name => _body.Slice(4, 4);

    public ReadOnlySpan<byte> Data => _body[8..];

    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpApp app)
    {
        app = default;
        if (!RtcpPacket.TryRead(packet, RtcpPacketType.ApplicationDefined, -1, out var p) || p.Body.Length < 8)
        {
            return false;
        }

        app = new RtcpApp(p.Body, p.Count);
        return true;
    }
}
