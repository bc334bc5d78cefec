using MediaServer.Codecs.Srtp;
using static MediaServer.Codecs.Tests.Srtp.SrtpTestPackets;

namespace MediaServer.Codecs.Tests.Srtp;

/// <summary>
/// Guards the design rule that a known SSRC costs no allocation per packet. Bytes, not time: the speed figures live
/// in bench/MediaServer.Benchmarks/SrtpBenchmarks.cs.
/// </summary>
public class SrtpAllocationTests
{
    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Protecting_and_unprotecting_a_known_SSRC_allocates_nothing(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] rtp = RtpPacketOf(0x5555, 0, payloadLength: 1188);
            byte[] rtcp = RtcpPacketOf(0x5555);
            var buffer = new byte[1500];
            ushort seq = 0;

            void Cycle()
            {
                rtp.CopyTo(buffer, 0);
                buffer[2] = (byte)(seq >> 8);
                buffer[3] = (byte)seq;
                seq++;
                sender.TryProtectRtp(buffer, rtp.Length, out int srtpLength);
                if (receiver.TryUnprotectRtp(buffer, srtpLength, out _) != SrtpResult.Ok)
                {
                    throw new InvalidOperationException("RTP round trip failed");
                }

                rtcp.CopyTo(buffer, 0);
                sender.TryProtectRtcp(buffer, rtcp.Length, out int srtcpLength);
                if (receiver.TryUnprotectRtcp(buffer, srtcpLength, out _) != SrtpResult.Ok)
                {
                    throw new InvalidOperationException("RTCP round trip failed");
                }
            }

            for (int i = 0; i < 2_000; i++)
            {
                Cycle();
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                Cycle();
            }

            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
