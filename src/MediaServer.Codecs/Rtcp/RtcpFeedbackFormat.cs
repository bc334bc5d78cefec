namespace MediaServer.Codecs.Rtcp;

/// <summary>FMT values carried in the count field of feedback packets.</summary>
public static class RtcpFeedbackFormat
{
    /// <summary>RTPFB FMT 1, RFC 4585 §6.2.1.</summary>
    public const int GenericNack = 1;

    /// <summary>RTPFB FMT 15, draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.</summary>
    public const int TransportWideCc = 15;

    /// <summary>PSFB FMT 1, RFC 4585 §6.3.1.</summary>
    public const int PictureLossIndication = 1;

    /// <summary>PSFB FMT 4, RFC 5104 §4.3.1.</summary>
    public const int FullIntraRequest = 4;

    /// <summary>PSFB FMT 15, application layer feedback (RFC 4585 §6.4); REMB lives here.</summary>
    public const int ApplicationLayer = 15;
}
