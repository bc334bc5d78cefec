using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Stun.TestData;

/// <summary>
/// The test vectors of RFC 5769 §2.1–§2.3 (April 2010), byte for byte as the RFC prints them, grouped one attribute
/// per line. The RFC pads SOFTWARE and USERNAME with 0x20 rather than zero bytes on purpose: padding content must be
/// ignored. §2.4 (long-term credentials) is not used by ICE and is left out.
/// Transcribed from the RFC's text; three independent public transcriptions agree, and the tests' HMAC and CRC checks
/// would fail on any mistyped byte.
/// </summary>
internal static class Rfc5769
{
    /// <summary>The short-term password of all three vectors.</summary>
    public const string Password = "VOkJxbRl1RmTxUk/WvJxBt";

    public const string TransactionIdHex = "b7 e7 a7 01 bc 34 d6 86 fa 87 df ae";

    /// <summary>
    /// §2.1 Sample Request: Binding request, SOFTWARE "STUN test client", PRIORITY 0x6e0001ff,
    /// ICE-CONTROLLED 0x932ff9b151263b36, USERNAME "evtj:h6vY", MESSAGE-INTEGRITY, FINGERPRINT.
    /// </summary>
    public static byte[] SampleRequest => Hex.Parse(
        "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae" +
        "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74" +
        "00 24 00 04 6e 00 01 ff" +
        "80 29 00 08 93 2f f9 b1 51 26 3b 36" +
        "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20" +
        "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2" +
        "80 28 00 04 e5 7a 3b cf");

    /// <summary>§2.2 Sample IPv4 Response: SOFTWARE "test vector", XOR-MAPPED-ADDRESS 192.0.2.1:32853, MESSAGE-INTEGRITY, FINGERPRINT.</summary>
    public static byte[] SampleIPv4Response => Hex.Parse(
        "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae" +
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20" +
        "00 20 00 08 00 01 a1 47 e1 12 a6 43" +
        "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7" +
        "80 28 00 04 c0 7d 4c 96");

    /// <summary>
    /// §2.3 Sample IPv6 Response: SOFTWARE "test vector", XOR-MAPPED-ADDRESS
    /// [2001:db8:1234:5678:11:2233:4455:6677]:32853, MESSAGE-INTEGRITY, FINGERPRINT.
    /// </summary>
    public static byte[] SampleIPv6Response => Hex.Parse(
        "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae" +
        "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20" +
        "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9" +
        "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41" +
        "80 28 00 04 c8 fb 0b 4c");
}
