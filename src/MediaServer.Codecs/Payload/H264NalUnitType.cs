namespace MediaServer.Codecs.Payload;

/// <summary>NAL unit types the relay cares about (H.264 Table 7-1, RFC 6184 §5.2).</summary>
public static class H264NalUnitType
{
    public const int NonIdrSlice = 1;
    public const int IdrSlice = 5;
    public const int Sei = 6;
    public const int Sps = 7;
    public const int Pps = 8;
    public const int AccessUnitDelimiter = 9;

    /// <summary>RFC 6184 §5.7.1: single-time aggregation packet.</summary>
    public const int StapA = 24;
    public const int StapB = 25;
    public const int Mtap16 = 26;
    public const int Mtap24 = 27;

    /// <summary>RFC 6184 §5.8: fragmentation unit.</summary>
    public const int FuA = 28;
    public const int FuB = 29;
}
