namespace MediaServer.Codecs.Rtcp;

/// <summary>Picture loss indication (RFC 4585 §6.3.1): PSFB FMT 1 with no FCI; asks the sender of <see cref="MediaSsrc"/> for a keyframe.</summary>
public readonly record struct RtcpPli(uint SenderSsrc, uint MediaSsrc)
{
    public const int Length = RtcpFeedback.FixedLength;

    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpPli pli)
    {
        bool ok = RtcpFeedback.TryRead(
            packet, RtcpPacketType.PayloadFeedback, RtcpFeedbackFormat.PictureLossIndication, out uint sender, out uint media, out _);
        pli = ok ? new RtcpPli(sender, media) : default;
        return ok;
    }

    /// <summary>Writes a PLI. Returns 12, or 0 when it does not fit.</summary>
    public static int Write(Span<byte> destination, uint senderSsrc, uint mediaSsrc)
    {
        if (destination.Length < Length)
        {
            return 0;
        }

        RtcpFeedback.WriteHeader(destination, RtcpFeedbackFormat.PictureLossIndication, RtcpPacketType.PayloadFeedback, Length, senderSsrc, mediaSsrc);
        return Length;
    }
}
