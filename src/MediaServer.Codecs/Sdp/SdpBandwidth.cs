using System.Globalization;

namespace MediaServer.Codecs.Sdp;

/// <summary>A <c>b=</c> line (RFC 8866 §5.8), e.g. <c>b=AS:256</c> (kbit/s) or <c>b=TIAS:64000</c> (bit/s, RFC 3890).</summary>
public sealed record SdpBandwidth(string Type, long Value)
{
    public override string ToString() => Type + ":" + Value.ToString(CultureInfo.InvariantCulture);
}
