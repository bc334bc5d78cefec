using System.Buffers.Binary;

namespace MediaServer.Codecs.Rtcp;

/// <summary>A goodbye packet (RFC 3550 §6.6): the sources leaving, and optionally why.</summary>
public readonly ref struct RtcpBye
{
    private readonly ReadOnlySpan<byte> _body;

    private RtcpBye(ReadOnlySpan<byte> body, int sourceCount, ReadOnlySpan<byte> reason)
    {
        _body = body;
        SourceCount = sourceCount;
        Reason = reason;
    }

    public int SourceCount { get; }

    /// <summary>The reason for leaving, UTF-8; empty when none was given.</summary>
    public ReadOnlySpan<byte> Reason { get; }

    public uint GetSsrc(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SourceCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_body[(4 * index)..]);
    }

    /// <summary>Parses the BYE at the start of <paramref name="packet"/>; false when SSRCs or reason run past it.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpBye bye)
    {
        bye = default;
        if (!RtcpPacket.TryRead(packet, RtcpPacketType.Goodbye, -1, out var p))
        {
            return false;
        }

        var body = p.Body;
        int ssrcBytes = 4 * p.Count;
        if (ssrcBytes > body.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> reason = default;
        if (body.Length > ssrcBytes)
        {
            int reasonLength = body[ssrcBytes];
            if (ssrcBytes + 1 + reasonLength > body.Length)
            {
                return false;
            }

            reason = body.Slice(ssrcBytes + 1, reasonLength);
        }

        bye = new RtcpBye(body, p.Count, reason);
        return true;
    }

    /// <summary>
    /// Writes a BYE for up to 31 sources with an optional reason of at most 255 bytes.
    /// Returns the bytes written, or 0 when it does not fit.
    /// </summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<uint> ssrcs, ReadOnlySpan<byte> reason)
    {
        if (ssrcs.Length > 31 || reason.Length > 255)
        {
            return 0;
        }

        int reasonBytes = reason.IsEmpty ? 0 : (1 + reason.Length + 3) & ~3;
        int length = RtcpPacket.HeaderLength + (4 * ssrcs.Length) + reasonBytes;
        if (length > destination.Length)
        {
            return 0;
        }

        RtcpPacket.WriteHeader(destination, ssrcs.Length, RtcpPacketType.Goodbye, length);
        int offset = RtcpPacket.HeaderLength;
        foreach (uint ssrc in ssrcs)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], ssrc);
            offset += 4;
        }

        if (!reason.IsEmpty)
        {
            destination[offset] = (byte)reason.Length;
            reason.CopyTo(destination[(offset + 1)..]);
            destination[(offset + 1 + reason.Length)..length].Clear();
        }

        return length;
    }
}
