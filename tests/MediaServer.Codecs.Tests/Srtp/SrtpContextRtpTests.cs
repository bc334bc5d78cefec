using System.Buffers.Binary;
using System.Security.Cryptography;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Srtp;
using static MediaServer.Codecs.Tests.Srtp.SrtpTestPackets;

namespace MediaServer.Codecs.Tests.Srtp;

public class SrtpContextRtpTests
{
    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Protect_then_unprotect_gives_back_the_original_bytes_exactly(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] packet = RtpPacketOf(0x11223344, 1000, payloadLength: 160);

            byte[] srtp = ProtectRtp(sender, packet);

            Assert.NotEqual(packet[12..], srtp[12..packet.Length]);
            Assert.Equal(packet[..12], srtp[..12]);
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, srtp, out byte[] plain));
            Assert.Equal(packet, plain);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Seeded_packets_of_many_SSRCs_and_shapes_round_trip_across_a_sequence_wrap_with_reordering(SrtpProfile profile)
    {
        var random = new Random(20240611 + (int)profile);
        var (sender, receiver) = Pair(profile, seed: random.Next());
        using (sender)
        using (receiver)
        {
            const int SsrcCount = 20;
            const int PacketsPerSsrc = 150;
            var ssrcs = Enumerable.Range(0, SsrcCount).Select(_ => (uint)random.Next()).ToArray();
            var originals = new List<byte[]>();
            var wire = new List<byte[]>();
            for (int n = 0; n < PacketsPerSsrc; n++)
            {
                foreach (uint ssrc in ssrcs)
                {
                    // Every stream starts close enough to 65535 that it wraps, so the ROC has to move on both sides.
                    ushort seq = (ushort)(65_535 - 40 + n + (int)(ssrc % 30));
                    byte[] packet = RandomRtp(random, ssrc, seq);
                    originals.Add(packet);
                    wire.Add(ProtectRtp(sender, packet));
                }
            }

            // Reorder inside blocks of 32 datagrams: well within a 64-packet window for each SSRC.
            var order = Enumerable.Range(0, wire.Count).ToArray();
            for (int block = 0; block < order.Length; block += 32)
            {
                random.Shuffle(order.AsSpan(block, Math.Min(32, order.Length - block)));
            }

            foreach (int i in order)
            {
                Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, wire[i], out byte[] plain));
                Assert.Equal(originals[i], plain);
            }

            Assert.Equal(SsrcCount, receiver.SsrcCount);
        }
    }

    [Fact]
    public void The_sender_carries_the_wrap_into_the_ROC_that_the_HMAC_covers()
    {
        byte[] masterKey = RandomNumberGenerator.GetBytes(16);
        byte[] masterSalt = RandomNumberGenerator.GetBytes(14);
        using var sender = new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, masterKey, masterSalt);
        var authKey = new byte[20];
        SrtpKeyDerivation.DeriveSessionKey(masterKey, masterSalt, SrtpKeyLabel.RtpAuthentication, authKey);

        byte[] beforeWrap = ProtectRtp(sender, RtpPacketOf(7, 65_535));
        byte[] afterWrap = ProtectRtp(sender, RtpPacketOf(7, 0));

        // RFC 3711 §4.2: tag = HMAC-SHA1(auth key, packet || ROC) truncated to 80 bits, computed here independently.
        Assert.Equal(ExpectedTag(authKey, beforeWrap, roc: 0), beforeWrap[^10..]);
        Assert.Equal(ExpectedTag(authKey, afterWrap, roc: 1), afterWrap[^10..]);
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void The_receiver_follows_the_wrap_and_a_receiver_that_missed_it_cannot_authenticate(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        var (_, late) = Pair(profile);
        using (sender)
        using (receiver)
        using (late)
        {
            byte[] lastBeforeWrap = ProtectRtp(sender, RtpPacketOf(7, 65_535));
            byte[] firstAfterWrap = ProtectRtp(sender, RtpPacketOf(7, 0));
            byte[] secondAfterWrap = ProtectRtp(sender, RtpPacketOf(7, 1));

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, lastBeforeWrap, out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, firstAfterWrap, out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, secondAfterWrap, out _));

            // Joining after the wrap, a receiver assumes ROC 0 (RFC 3711 §3.3.1); the packet was made with ROC 1.
            Assert.Equal(SrtpResult.AuthFailed, UnprotectRtp(late, secondAfterWrap, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void A_packet_from_before_the_wrap_arriving_after_it_still_gets_the_old_ROC(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] first = ProtectRtp(sender, RtpPacketOf(9, 65_533));
            byte[] old = ProtectRtp(sender, RtpPacketOf(9, 65_534));
            byte[] wrapped = ProtectRtp(sender, RtpPacketOf(9, 2));

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, first, out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, wrapped, out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, old, out byte[] plain));
            Assert.Equal(RtpPacketOf(9, 65_534), plain);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Sending_a_packet_again_after_the_wrap_reproduces_its_first_protection(SrtpProfile profile)
    {
        var (sender, _) = Pair(profile);
        using (sender)
        {
            byte[] first = ProtectRtp(sender, RtpPacketOf(5, 65_530));
            ProtectRtp(sender, RtpPacketOf(5, 3));

            // A NACK-driven resend of 65530 must use ROC 0 again, not the current ROC 1.
            Assert.Equal(first, ProtectRtp(sender, RtpPacketOf(5, 65_530)));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void The_same_packet_twice_is_a_replay(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] srtp = ProtectRtp(sender, RtpPacketOf(3, 500));

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, srtp, out _));
            Assert.Equal(SrtpResult.Replayed, UnprotectRtp(receiver, srtp, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void A_packet_behind_the_64_packet_window_is_too_old_and_one_just_inside_it_is_accepted(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var wire = Enumerable.Range(0, 200).Select(seq => ProtectRtp(sender, RtpPacketOf(3, (ushort)seq))).ToArray();

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, wire[199], out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, wire[199 - 63], out _));
            Assert.Equal(SrtpResult.TooOld, UnprotectRtp(receiver, wire[199 - 64], out _));
            Assert.Equal(SrtpResult.TooOld, UnprotectRtp(receiver, wire[0], out _));
        }
    }

    [Fact]
    public void A_1024_packet_window_accepts_what_the_default_window_calls_too_old()
    {
        var options = new SrtpContextOptions { ReplayWindowSize = 1024 };
        var (sender, receiver) = Pair(SrtpProfile.AeadAes128Gcm, options: options);
        using (sender)
        using (receiver)
        {
            var wire = Enumerable.Range(0, 1100).Select(seq => ProtectRtp(sender, RtpPacketOf(3, (ushort)seq, payloadLength: 20))).ToArray();

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, wire[1099], out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, wire[1099 - 1023], out _));
            Assert.Equal(SrtpResult.Replayed, UnprotectRtp(receiver, wire[1099 - 1023], out _));
            Assert.Equal(SrtpResult.TooOld, UnprotectRtp(receiver, wire[1099 - 1024], out _));
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
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, ProtectRtp(sender, RtpPacketOf(0xABCD, 10, 40)), out _));
            byte[] genuine = ProtectRtp(sender, RtpPacketOf(0xABCD, 11, 40));

            for (int bit = 0; bit < genuine.Length * 8; bit++)
            {
                byte[] forged = (byte[])genuine.Clone();
                forged[bit / 8] ^= (byte)(1 << (bit % 8));

                SrtpResult result = UnprotectRtp(receiver, forged, out _);

                if (bit / 8 >= 12)
                {
                    Assert.Equal(SrtpResult.AuthFailed, result);
                }
                else
                {
                    // A header bit may also change the version, CSRC count or SSRC, so the packet fails earlier.
                    Assert.NotEqual(SrtpResult.Ok, result);
                }
            }

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, genuine, out byte[] plain));
            Assert.Equal(RtpPacketOf(0xABCD, 11, 40), plain);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void A_forged_packet_far_ahead_does_not_move_the_window(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] first = ProtectRtp(sender, RtpPacketOf(4, 100));
            byte[] second = ProtectRtp(sender, RtpPacketOf(4, 101));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, first, out _));

            // Same SSRC, sequence number 30000 ahead, garbage tag: had the window moved, 101 would now be too old.
            byte[] forged = ProtectRtp(sender, RtpPacketOf(4, 30_100));
            forged[^1] ^= 0x80;
            Assert.Equal(SrtpResult.AuthFailed, UnprotectRtp(receiver, forged, out _));

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, second, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Truncated_packets_are_never_accepted_and_those_shorter_than_header_and_tag_are_malformed(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] srtp = ProtectRtp(sender, RtpPacketOf(8, 77, 30));

            for (int length = 0; length < srtp.Length; length++)
            {
                SrtpResult result = UnprotectRtp(receiver, srtp[..length], out _);

                Assert.Equal(length < 12 + receiver.RtpOverhead ? SrtpResult.Malformed : SrtpResult.AuthFailed, result);
            }

            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, srtp, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void A_header_whose_CSRC_list_runs_past_the_packet_is_malformed(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            byte[] srtp = ProtectRtp(sender, RtpPacketOf(8, 77, 0));
            srtp[0] |= 0x0F; // 15 CSRCs = 60 bytes of header, in a packet of 12 + tag

            Assert.Equal(SrtpResult.Malformed, UnprotectRtp(receiver, srtp, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void A_length_beyond_the_buffer_is_malformed_and_not_read(SrtpProfile profile)
    {
        var (_, receiver) = Pair(profile);
        using (receiver)
        {
            var buffer = new byte[40];

            Assert.Equal(SrtpResult.Malformed, receiver.TryUnprotectRtp(buffer, 41, out int length));
            Assert.Equal(SrtpResult.Malformed, receiver.TryUnprotectRtp(buffer, -1, out _));
            Assert.Equal(0, length);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void New_SSRCs_beyond_the_limit_are_refused_on_both_sides(SrtpProfile profile)
    {
        var options = new SrtpContextOptions { MaxSsrcs = 2 };
        var (sender, receiver) = Pair(profile, options: options);
        var (unlimited, _) = Pair(profile);
        using (sender)
        using (receiver)
        using (unlimited)
        {
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, ProtectRtp(sender, RtpPacketOf(1, 1)), out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, ProtectRtp(sender, RtpPacketOf(2, 1)), out _));

            byte[] third = RtpPacketOf(3, 1);
            byte[] buffer = WithRoom(third, sender.RtpOverhead);
            Assert.False(sender.TryProtectRtp(buffer, third.Length, out _));
            Assert.Equal(third, buffer[..third.Length]);

            Assert.Equal(SrtpResult.UnknownSsrcLimit, UnprotectRtp(receiver, ProtectRtp(unlimited, third), out _));

            // Known SSRCs go on working.
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, ProtectRtp(sender, RtpPacketOf(1, 2)), out _));
            Assert.Equal(2, receiver.SsrcCount);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Forged_packets_from_unknown_SSRCs_do_not_use_up_the_SSRC_limit(SrtpProfile profile)
    {
        var options = new SrtpContextOptions { MaxSsrcs = 2 };
        var (sender, receiver) = Pair(profile, options: options);
        var (attacker, _) = Pair(profile, seed: 666);
        using (sender)
        using (receiver)
        using (attacker)
        {
            for (uint ssrc = 100; ssrc < 110; ssrc++)
            {
                Assert.Equal(SrtpResult.AuthFailed, UnprotectRtp(receiver, ProtectRtp(attacker, RtpPacketOf(ssrc, 1)), out _));
            }

            Assert.Equal(0, receiver.SsrcCount);
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, ProtectRtp(sender, RtpPacketOf(1, 1)), out _));
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, ProtectRtp(sender, RtpPacketOf(2, 1)), out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Protect_refuses_without_room_for_the_tag_and_leaves_the_buffer_alone(SrtpProfile profile)
    {
        var (sender, _) = Pair(profile);
        using (sender)
        {
            byte[] packet = RtpPacketOf(1, 1);
            byte[] buffer = WithRoom(packet, sender.RtpOverhead - 1);

            Assert.False(sender.TryProtectRtp(buffer, packet.Length, out int length));
            Assert.Equal(0, length);
            Assert.Equal(packet, buffer[..packet.Length]);
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Protect_refuses_what_is_not_RTP(SrtpProfile profile)
    {
        var (sender, _) = Pair(profile);
        using (sender)
        {
            byte[] packet = RtpPacketOf(1, 1);
            packet[0] = 0x40; // version 1
            byte[] buffer = WithRoom(packet, sender.RtpOverhead);

            Assert.False(sender.TryProtectRtp(buffer, packet.Length, out _));
            Assert.False(sender.TryProtectRtp(buffer, 11, out _));
        }
    }

    [Theory]
    [MemberData(nameof(ProfileData), MemberType = typeof(SrtpTestPackets))]
    public void Padding_CSRCs_and_header_extension_survive_and_the_header_stays_in_the_clear(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using (sender)
        using (receiver)
        {
            var buffer = new byte[200];
            var header = new RtpHeaderFields(true, 111, 4242, 960, 0xFEEDF00D);
            Assert.True(RtpPacketWriter.TryWrite(
                buffer, header, [1u, 2u], 0xBEDE, [0x10, 0xAA], "opus frame"u8, paddingLength: 3, out int written));
            byte[] packet = buffer[..written];
            Assert.True(RtpPacket.TryParse(packet, out RtpPacket parsed));
            int headerLength = parsed.HeaderLength;

            byte[] srtp = ProtectRtp(sender, packet);

            Assert.Equal(packet[..headerLength], srtp[..headerLength]);
            Assert.Equal(SrtpResult.Ok, UnprotectRtp(receiver, srtp, out byte[] plain));
            Assert.Equal(packet, plain);
        }
    }

    [Fact]
    public void Under_AES_CM_the_header_is_authenticated_but_not_encrypted()
    {
        // RFC 3711 §3.1: the header, CSRCs and extension are authenticated only; a receiver that tampers with the
        // extension therefore fails the tag even though it could read it.
        var (sender, receiver) = Pair(SrtpProfile.AesCm128HmacSha1_80);
        using (sender)
        using (receiver)
        {
            var buffer = new byte[100];
            Assert.True(RtpPacketWriter.TryWrite(
                buffer, new RtpHeaderFields(false, 96, 1, 1, 1), [], 0xBEDE, [0x10, 0xAA], "x"u8, 0, out int written));
            byte[] srtp = ProtectRtp(sender, buffer[..written]);
            srtp[17] ^= 0xFF; // the extension element's data byte

            Assert.Equal(SrtpResult.AuthFailed, UnprotectRtp(receiver, srtp, out _));
        }
    }

    [Fact]
    public void Options_outside_their_ranges_are_refused()
    {
        var key = new byte[16];
        var salt = new byte[14];

        Assert.Throws<ArgumentOutOfRangeException>(() => new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, key, salt, new() { ReplayWindowSize = 32 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, key, salt, new() { ReplayWindowSize = 1025 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SrtpContext(SrtpProfile.AesCm128HmacSha1_80, key, salt, new() { MaxSsrcs = 0 }));
        Assert.Throws<ArgumentException>(() => new SrtpContext(SrtpProfile.AeadAes128Gcm, key, salt));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SrtpContext((SrtpProfile)2, key, salt));
    }

    [Fact]
    public void A_disposed_context_throws_rather_than_use_freed_keys()
    {
        var (sender, _) = Pair(SrtpProfile.AeadAes128Gcm);
        sender.Dispose();
        byte[] buffer = WithRoom(RtpPacketOf(1, 1), 16);

        Assert.Throws<ObjectDisposedException>(() => sender.TryProtectRtp(buffer, buffer.Length - 16, out _));
    }

    private static byte[] RandomRtp(Random random, uint ssrc, ushort seq)
    {
        var buffer = new byte[1600];
        var csrcs = new uint[random.Next(3)];
        for (int i = 0; i < csrcs.Length; i++)
        {
            csrcs[i] = (uint)random.Next();
        }

        byte[] extension = random.Next(2) == 0 ? [] : [0x10, (byte)random.Next(256)];
        var payload = new byte[random.Next(0, 1300)];
        random.NextBytes(payload);
        var header = new RtpHeaderFields(random.Next(2) == 0, 96, seq, (uint)random.Next(), ssrc);
        Assert.True(RtpPacketWriter.TryWrite(buffer, header, csrcs, 0xBEDE, extension, payload, random.Next(4), out int written));
        return buffer[..written];
    }

    private static byte[] ExpectedTag(byte[] authKey, byte[] srtp, uint roc)
    {
        byte[] input = new byte[srtp.Length - 10 + 4];
        srtp.AsSpan(0, srtp.Length - 10).CopyTo(input);
        BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(srtp.Length - 10), roc);
#pragma warning disable CA5350 // HMAC-SHA1 is what RFC 3711 §4.2 specifies; it is not our choice to make here.
        return HMACSHA1.HashData(authKey, input)[..10];
#pragma warning restore CA5350
    }
}
