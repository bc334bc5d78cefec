namespace MediaServer.Codecs.Srtp;

/// <summary>The key derivation labels of RFC 3711 §4.3.1 (SRTP) and §4.3.2 (SRTCP).</summary>
public enum SrtpKeyLabel : byte
{
    RtpEncryption = 0x00,
    RtpAuthentication = 0x01,
    RtpSalt = 0x02,
    RtcpEncryption = 0x03,
    RtcpAuthentication = 0x04,
    RtcpSalt = 0x05,
}
