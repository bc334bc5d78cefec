using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtp;

namespace MediaServer.Benchmarks;

/// <summary>
/// The RTP work every relayed packet pays once on the way in (validation, RFC 3550 §5.1) and once per receiver on the way out
/// (the four header fields a slot rewrites).
/// </summary>
[MemoryDiagnoser]
public class RtpParseBenchmarks
{
    private const int PacketLength = 1200;
    private byte[] _plain = [];
    private byte[] _withExtension = [];
    private ushort _sequence;

    [GlobalSetup]
    public void Setup()
    {
        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        new Random(1).NextBytes(payload);
        var header = new RtpHeaderFields(Marker: false, PayloadType: 96, SequenceNumber: 1000, Timestamp: 90_000, Ssrc: 0x11223344);

        _plain = new byte[PacketLength];
        if (!RtpPacketWriter.TryWrite(_plain, header, payload, out var written) || written != PacketLength)
        {
            throw new InvalidOperationException("Could not build the plain packet.");
        }

        // A one-byte-header extension block (RFC 8285 §4.2) as browsers send it: audio level, abs-send-time, transport-wide seq.
        Span<byte> elements = stackalloc byte[16];
        var length = RtpHeaderExtensionWriter.WriteOneByte(elements, 1, [0x85]);
        length += RtpHeaderExtensionWriter.WriteOneByte(elements[length..], 3, [0x12, 0x34, 0x56]);
        length += RtpHeaderExtensionWriter.WriteOneByte(elements[length..], 5, [0x00, 0x2A]);
        var extensionBytes = (length + 3) / 4 * 4;
        _withExtension = new byte[PacketLength];
        if (!RtpPacketWriter.TryWrite(_withExtension, header, [], RtpHeaderExtensionProfile.OneByte, elements[..length],
                payload.AsSpan(0, PacketLength - RtpPacket.FixedHeaderLength - 4 - extensionBytes), 0, out written)
            || written != PacketLength)
        {
            throw new InvalidOperationException("Could not build the packet with an extension block.");
        }
    }

    [Benchmark(Baseline = true)]
    public int TryParse_1200B()
    {
        if (!RtpPacket.TryParse(_plain, out var packet))
        {
            return -1;
        }
        return packet.HeaderLength + packet.Payload.Length + packet.SequenceNumber + (int)packet.Ssrc;
    }

    [Benchmark]
    public int TryParse_1200B_OneByteExtension()
    {
        if (!RtpPacket.TryParse(_withExtension, out var packet))
        {
            return -1;
        }
        return packet.HeaderLength + packet.Payload.Length + packet.SequenceNumber + (int)packet.Ssrc;
    }

    /// <summary>What a receiver slot does to each forwarded packet: PT, sequence number, timestamp, SSRC.</summary>
    [Benchmark]
    public int RewriteHeader_4Setters()
    {
        var packet = _plain.AsSpan();
        var sequence = ++_sequence;
        RtpHeader.SetPayloadType(packet, 100);
        RtpHeader.SetSequenceNumber(packet, sequence);
        RtpHeader.SetTimestamp(packet, 3000u * sequence);
        RtpHeader.SetSsrc(packet, 0xCAFEBABE);
        return packet[3];
    }
}
