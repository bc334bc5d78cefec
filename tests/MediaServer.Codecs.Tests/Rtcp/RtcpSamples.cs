using MediaServer.Codecs.Rtcp;

namespace MediaServer.Codecs.Tests.Rtcp;

/// <summary>One valid packet of each kind, made by the writers (TCC by its writer too).</summary>
internal static class RtcpSamples
{
    public static List<byte[]> All()
    {
        var list = new List<byte[]>();
        var b = new byte[1024];
        list.Add(b[..RtcpSenderReport.Write(b, 1, 2, 3, 4, 5, [new RtcpReportBlock(6, 7, -8, 9, 10, 11, 12)])]);
        list.Add(b[..RtcpReceiverReport.Write(b, 1, [new RtcpReportBlock(6, 7, 8, 9, 10, 11, 12), new RtcpReportBlock(1, 2, 3, 4, 5, 6, 7)])]);
        list.Add(b[..RtcpSdes.WriteCname(b, 1, "user@host"u8)]);
        list.Add(b[..RtcpBye.Write(b, [1, 2], "bye"u8)]);
        list.Add(b[..RtcpGenericNack.Write(b, 1, 2, [10, 11, 15, 40, 41])]);
        list.Add(b[..RtcpPli.Write(b, 1, 2)]);
        list.Add(b[..RtcpFir.Write(b, 1, 2, 3)]);
        list.Add(b[..RtcpRemb.Write(b, 1, 1_500_000, [2, 3])]);
        list.Add(b[..RtcpTransportCc.Write(b, 1, 2, 100, -5, 7,
            [new(0, TransportCcSymbol.SmallDelta, 4), new(0, TransportCcSymbol.NotReceived, 0), new(0, TransportCcSymbol.LargeDelta, -20), new(0, TransportCcSymbol.SmallDelta, 300)])]);
        foreach (byte[] packet in list)
        {
            Assert.NotEmpty(packet);
        }

        return list;
    }
}
