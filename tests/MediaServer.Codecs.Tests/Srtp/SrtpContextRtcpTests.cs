using System.Buffers.Binary;
using System.Security.Cryptography;
using MediaServer.Codecs.Srtp;
using static MediaServer.Codecs.Tests.Srtp.SrtpTestPackets;

namespace MediaServer.Codecs.Tests.Srtp;

public class SrtpContextRtcpTests
{
    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Protect_then_unprotect_gives_back_the_original_bytes_exactly(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] packet = RtcpPacketOf(0xCAFE, seed: 3);

            byte[] srtcp = ProtectRtcp(sender, packet);

            Assert.Equal(packet[..8], srtcp[..8]);
            Assert.NotEqual(packet[8..], srtcp[8..packet.Length]);
            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, srtcp, out byte[] plain));
            Assert.Equal(packet, plain);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Each_SSRC_counts_its_own_SRTCP_index_from_zero_with_the_E_flag_set(SrtpProfile profile)
    {
        var (sender, _) = Pair(profile);
        using (sender)
        {
            uint IndexOf(byte[] srtcp) =>
                BinaryPrimitives.ReadUInt32BigEndian(profile == SrtpProfile.AeadAes128Gcm ? srtcp.AsSpan(srtcp.Length - 4) : srtcp.AsSpan(srtcp.Length - 14));

            Assert.Equal(0x8000_0000u, IndexOf(ProtectRtcp(sender, RtcpPacketOf(1))));
            Assert.Equal(0x8000_0001u, IndexOf(ProtectRtcp(sender, RtcpPacketOf(1))));
            Assert.Equal(0x8000_0000u, IndexOf(ProtectRtcp(sender, RtcpPacketOf(2))));
            Assert.Equal(0x8000_0002u, IndexOf(ProtectRtcp(sender, RtcpPacketOf(1))));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Seeded_compound_packets_of_many_SSRCs_round_trip_with_reordering(SrtpProfile profile)
    {
        var random = new Random(77 + (int)profile);
        var (sender, receiver) = Pair(profile, seed: random.Next());
        using (sender)
        using (receiver)
        {
            var originals = new List<byte[]>();
            var wire = new List<byte[]>();
            for (int n = 0; n < 400; n++)
            {
                uint ssrc = (uint)random.Next(10);
                var packet = new byte[8 + (4 * random.Next(0, 60))];
                random.NextBytes(packet);
                packet[0] = 0x80;
                BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), ssrc);
                originals.Add(packet);
                wire.Add(ProtectRtcp(sender, packet));
            }

            var order = Enumerable.Range(0, wire.Count).ToArray();
            for (int block = 0; block < order.Length; block += 16)
            {
                random.Shuffle(order.AsSpan(block, Math.Min(16, order.Length - block)));
            }

            foreach (int i in order)
            {
                Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, wire[i], out byte[] plain));
                Assert.Equal(originals[i], plain);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void The_same_packet_twice_is_a_replay_and_one_behind_the_window_is_too_old(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var wire = Enumerable.Range(0, 100).Select(i => ProtectRtcp(sender, RtcpPacketOf(5, i))).ToArray();

            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, wire[99], out _));
            Assert.Equal(SrtpResult.Replayed, UnprotectRtcp(receiver, wire[99], out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, wire[99 - 63], out _));
            Assert.Equal(SrtpResult.TooOld, UnprotectRtcp(receiver, wire[99 - 64], out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Any_single_flipped_bit_is_refused_and_leaves_the_genuine_packet_acceptable(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, ProtectRtcp(sender, RtcpPacketOf(6, 1)), out _));
            byte[] genuine = ProtectRtcp(sender, RtcpPacketOf(6, 2));

            for (int bit = 0; bit < genuine.Length * 8; bit++)
            {
                byte[] forged = (byte[])genuine.Clone();
                forged[bit / 8] ^= (byte)(1 << (bit % 8));

                SrtpResult result = UnprotectRtcp(receiver, forged, out _);

                // Version bits make it malformed; a changed SSRC or index may meet the window first; all else fails the tag.
                Assert.NotEqual(SrtpResult.Ok, result);
                if (bit / 8 >= 8 && bit / 8 < 8 + 24)
                {
                    Assert.Equal(SrtpResult.AuthFailed, result);
                }
            }

            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, genuine, out byte[] plain));
            Assert.Equal(RtcpPacketOf(6, 2), plain);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Truncated_packets_are_never_accepted(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] srtcp = ProtectRtcp(sender, RtcpPacketOf(9));

            for (int length = 0; length < srtcp.Length; length++)
            {
                SrtpResult result = UnprotectRtcp(receiver, srtcp[..length], out _);

                Assert.Equal(length < 8 + receiver.RtcpOverhead ? SrtpResult.Malformed : SrtpResult.AuthFailed, result);
            }

            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, srtcp, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void New_SSRCs_beyond_the_limit_are_refused(SrtpProfile profile)
    {
        var options = new SrtpContextOptions { MaxSsrcs = 1 };
        var (sender, receiver) = Pair(profile, options: options);
        var (unlimited, _) = Pair(profile);
        using (sender)
        using (receiver)
        using (unlimited)
        {
            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, ProtectRtcp(sender, RtcpPacketOf(1)), out _));

            byte[] other = RtcpPacketOf(2);
            Assert.False(sender.TryProtectRtcp(WithRoom(other, sender.RtcpOverhead), other.Length, out _));
            Assert.Equal(SrtpResult.UnknownSsrcLimit, UnprotectRtcp(receiver, ProtectRtcp(unlimited, other), out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Protect_refuses_non_RTCP_and_short_buffers(SrtpProfile profile)
    {
        var (sender, _) = Pair(profile);
        using (sender)
        {
            byte[] packet = RtcpPacketOf(1);

            Assert.False(sender.TryProtectRtcp(WithRoom(packet, sender.RtcpOverhead - 1), packet.Length, out _));
            Assert.False(sender.TryProtectRtcp(WithRoom(packet[..7], sender.RtcpOverhead), 7, out _));
            packet[0] = 0x01;
            Assert.False(sender.TryProtectRtcp(WithRoom(packet, sender.RtcpOverhead), packet.Length, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void An_SSRC_that_used_up_its_31_bit_index_is_refused_rather_than_wrapped(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            sender.SetNextSrtcpIndex(4, 0x7FFF_FFFF);

            Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, ProtectRtcp(sender, RtcpPacketOf(4)), out _));
            byte[] next = RtcpPacketOf(4);
            Assert.False(sender.TryProtectRtcp(WithRoom(next, sender.RtcpOverhead), next.Length, out _));
        }
    }

    [Fact]
    public void AES_CM_packets_sent_with_E_0_are_authenticated_and_left_unencrypted()
    {
        // RFC 3711 §3.4: E=0 means the sender did not encrypt; the tag still covers packet || E|index.
        byte[] masterKey = RandomNumberGenerator.GetBytes(16);
        byte[] masterSalt = RandomNumberGenerator.GetBytes(14);
        using var receiver = new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, masterKey, masterSalt);
        var authKey = new byte[20];
        SrtpKeyDerivation.DeriveSessionKey(masterKey, masterSalt, SrtpKeyLabel.RtcpAuthentication, authKey);
        byte[] packet = RtcpPacketOf(0x1234, seed: 8);
        byte[] srtcp = new byte[packet.Length + 14];
        packet.CopyTo(srtcp, 0);
        BinaryPrimitives.WriteUInt32BigEndian(srtcp.AsSpan(packet.Length), 17); // E=0, index 17
#pragma warning disable CA5350 // HMAC-SHA1 is what RFC 3711 §4.2 specifies.
        HMACSHA1.HashData(authKey, srtcp.AsSpan(0, packet.Length + 4)).AsSpan(0, 10).CopyTo(srtcp.AsSpan(packet.Length + 4));
#pragma warning restore CA5350

        Assert.Equal(SrtpResult.Ok, UnprotectRtcp(receiver, srtcp, out byte[] plain));
        Assert.Equal(packet, plain);
        Assert.Equal(SrtpResult.Replayed, UnprotectRtcp(receiver, srtcp, out _));
    }

    [Fact]
    public void RTP_and_RTCP_keys_differ_so_one_cannot_pass_for_the_other()
    {
        var (sender, receiver) = Pair(SrtpProfile.AesCm128HmacSha1_80);
        using (sender)
        using (receiver)
        {
            // An SRTP packet shaped to also look like SRTCP is judged under the SRTCP keys and fails.
            byte[] srtp = ProtectRtp(sender, RtpPacketOf(0x01020304, 1, 40));

            Assert.Equal(SrtpResult.AuthFailed, UnprotectRtcp(receiver, srtp, out _));
        }
    }
}
