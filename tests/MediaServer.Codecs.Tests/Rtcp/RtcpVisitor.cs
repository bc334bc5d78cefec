using MediaServer.Codecs.Rtcp;

namespace MediaServer.Codecs.Tests.Rtcp;

/// <summary>Runs every reader over every packet of a datagram and touches every value, for hostile-input tests.</summary>
internal static class RtcpVisitor
{
    /// <summary>Returns the number of packets some typed reader accepted.</summary>
    public static int VisitAll(ReadOnlySpan<byte> datagram)
    {
        int accepted = 0;
        var reader = new RtcpCompoundReader(datagram);
        while (reader.MoveNext())
        {
            var packet = reader.Current.Span;
            Assert.True(reader.Current.Length >= 4);
            Assert.Equal(reader.Current.Length, 4 + reader.Current.Body.Length + reader.Current.PaddingLength);
            long sink = 0;
            if (RtcpSenderReport.TryParse(packet, out var sr))
            {
                accepted++;
                sink += (long)sr.NtpTimestamp + sr.Ssrc + sr.OctetCount;
                for (int i = 0; i < sr.ReportCount; i++)
                {
                    sink += sr.GetReportBlock(i).CumulativeLost;
                }
            }

            if (RtcpReceiverReport.TryParse(packet, out var rr))
            {
                accepted++;
                for (int i = 0; i < rr.ReportCount; i++)
                {
                    sink += rr.GetReportBlock(i).Jitter;
                }
            }

            if (RtcpSdes.TryParse(packet, out var sdes))
            {
                accepted++;
                while (sdes.MoveNext())
                {
                    sink += sdes.Current.Value.Length;
                }
            }

            if (RtcpBye.TryParse(packet, out var bye))
            {
                accepted++;
                for (int i = 0; i < bye.SourceCount; i++)
                {
                    sink += bye.GetSsrc(i);
                }

                sink += bye.Reason.Length;
            }

            if (RtcpApp.TryParse(packet, out var app))
            {
                accepted++;
                sink += app.Data.Length + app.Name.Length;
            }

            if (RtcpGenericNack.TryParse(packet, out var nack))
            {
                accepted++;
                int lost = 0;
                foreach (ushort seq in nack.GetLostSequenceNumbers())
                {
                    sink += seq;
                    lost++;
                }

                Assert.InRange(lost, nack.EntryCount, nack.EntryCount * 17);
            }

            if (RtcpPli.TryParse(packet, out var pli))
            {
                accepted++;
                sink += pli.MediaSsrc;
            }

            if (RtcpFir.TryParse(packet, out var fir))
            {
                accepted++;
                for (int i = 0; i < fir.EntryCount; i++)
                {
                    sink += fir.GetEntry(i).SequenceNumber;
                }
            }

            if (RtcpRemb.TryParse(packet, out var remb))
            {
                accepted++;
                sink += (long)(remb.Bitrate & 0xFFFF);
                for (int i = 0; i < remb.SsrcCount; i++)
                {
                    sink += remb.GetSsrc(i);
                }
            }

            if (RtcpTransportCc.TryParse(packet, out var tcc))
            {
                accepted++;
                int n = 0;
                foreach (var status in tcc.GetPacketStatuses())
                {
                    sink += status.DeltaTicks;
                    n++;
                }

                Assert.Equal(tcc.PacketStatusCount, n);
            }

            GC.KeepAlive(sink);
        }

        return accepted;
    }
}
