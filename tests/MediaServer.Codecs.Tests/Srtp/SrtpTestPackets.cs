using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Srtp;

namespace MediaServer.Codecs.Tests.Srtp;

/// <summary>Keys and packets for the context tests.</summary>
internal static class SrtpTestPackets
{
    public static readonly SrtpProfile[] Profiles = [SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm];

    public static TheoryData<SrtpProfile> ProfileData => new(Profiles);

    /// <summary>A sender and a receiver over the same master key and salt (made from <paramref name="seed"/>).</summary>
    public static (SrtpContext Sender, SrtpContext Receiver) Pair(SrtpProfile profile, int seed = 1, SrtpContextOptions? options = null)
    {
        var random = new Random(seed);
        var key = new byte[profile.MasterKeyLength()];
        var salt = new byte[profile.MasterSaltLength()];
        random.NextBytes(key);
        random.NextBytes(salt);
        return (new SrtpContext(profile, key, salt, options), new SrtpContext(profile, key, salt, options));
    }

    /// <summary>An RTP packet with <paramref name="payloadLength"/> seeded bytes of payload.</summary>
    public static byte[] RtpPacketOf(uint ssrc, ushort sequenceNumber, int payloadLength = 100, int seed = 0)
    {
        var payload = new byte[payloadLength];
        new Random(seed ^ sequenceNumber ^ (int)ssrc).NextBytes(payload);
        var buffer = new byte[12 + payloadLength];
        var header = new RtpHeaderFields(Marker: false, PayloadType: 96, sequenceNumber, Timestamp: 3000u * sequenceNumber, ssrc);
        Assert.True(RtpPacketWriter.TryWrite(buffer, header, payload, out int written));
        return buffer[..written];
    }

    /// <summary>A receiver report from <paramref name="ssrc"/> with one report block of seeded bytes.</summary>
    public static byte[] RtcpPacketOf(uint ssrc, int seed = 0)
    {
        var packet = new byte[32];
        new Random(seed).NextBytes(packet);
        packet[0] = 0x81;
        packet[1] = 201;
        packet[2] = 0;
        packet[3] = 7;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), ssrc);
        return packet;
    }

    /// <summary><paramref name="packet"/> copied into a buffer with <paramref name="room"/> spare bytes after it.</summary>
    public static byte[] WithRoom(byte[] packet, int room)
    {
        var buffer = new byte[packet.Length + room];
        packet.CopyTo(buffer, 0);
        return buffer;
    }

    public static byte[] ProtectRtp(SrtpContext sender, byte[] packet)
    {
        byte[] buffer = WithRoom(packet, sender.RtpOverhead);
        Assert.True(sender.TryProtectRtp(buffer, packet.Length, out int length));
        Assert.Equal(packet.Length + sender.RtpOverhead, length);
        return buffer[..length];
    }

    public static byte[] ProtectRtcp(SrtpContext sender, byte[] packet)
    {
        byte[] buffer = WithRoom(packet, sender.RtcpOverhead);
        Assert.True(sender.TryProtectRtcp(buffer, packet.Length, out int length));
        Assert.Equal(packet.Length + sender.RtcpOverhead, length);
        return buffer[..length];
    }

    /// <summary>Unprotects a copy, so the caller's bytes stay as they were.</summary>
    public static SrtpResult UnprotectRtp(SrtpContext receiver, byte[] srtp, out byte[] plain)
    {
        byte[] copy = (byte[])srtp.Clone();
        SrtpResult result = receiver.TryUnprotectRtp(copy, copy.Length, out int length);
        plain = copy[..length];
        return result;
    }

    public static SrtpResult UnprotectRtcp(SrtpContext receiver, byte[] srtcp, out byte[] plain)
    {
        byte[] copy = (byte[])srtcp.Clone();
        SrtpResult result = receiver.TryUnprotectRtcp(copy, copy.Length, out int length);
        plain = copy[..length];
        return result;
    }
}
