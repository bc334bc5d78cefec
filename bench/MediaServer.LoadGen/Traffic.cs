using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MediaServer.Codecs.Rtp;

namespace MediaServer.LoadGen;

/// <summary>
/// Our payload marker. The server rewrites SSRC, sequence number, timestamp and payload type per receiver but never the payload,
/// so the payload carries what the receiver needs: which stream, which packet, and when it left (Stopwatch ticks; same machine,
/// same clock, so the difference is the one-way time through the server and both kernels' loopback).
/// </summary>
internal static class Probe
{
    public const uint Magic = 0x4C47454E; // "LGEN"
    public const int Length = 21;

    /// <param name="measured">False for warm-up packets: the receiver neither counts nor times them.</param>
    public static void Write(Span<byte> payload, int stream, uint sequence, long sentTicks, bool measured)
    {
        BinaryPrimitives.WriteUInt32BigEndian(payload, Magic);
        BinaryPrimitives.WriteInt32BigEndian(payload[4..], stream);
        BinaryPrimitives.WriteUInt32BigEndian(payload[8..], sequence);
        BinaryPrimitives.WriteInt64BigEndian(payload[12..], sentTicks);
        payload[20] = measured ? (byte)1 : (byte)0;
    }

    public static bool TryRead(ReadOnlySpan<byte> payload, out int stream, out long sentTicks, out bool measured)
    {
        stream = 0;
        sentTicks = 0;
        measured = false;
        if (payload.Length < Length || BinaryPrimitives.ReadUInt32BigEndian(payload) != Magic)
        {
            return false;
        }
        stream = BinaryPrimitives.ReadInt32BigEndian(payload[4..]);
        sentTicks = BinaryPrimitives.ReadInt64BigEndian(payload[12..]);
        measured = payload[20] != 0;
        return true;
    }
}

/// <summary>One outgoing RTP stream: a party's video or audio.</summary>
internal sealed class OutgoingStream
{
    public required int Index { get; init; }
    public required Party Party { get; init; }
    public required bool IsVideo { get; init; }
    public required Socket Socket { get; init; }
    /// <summary>The server's port for this stream; in --direct mode, every other party's receive port instead.</summary>
    public required SocketAddress[] Destinations { get; init; }
    public required uint Ssrc { get; init; }
    public required byte PayloadType { get; init; }
    public required int ClockRate { get; init; }
    public required double FramesPerSecond { get; init; }
    public required double PacketsPerSecond { get; init; }
    public required int PacketBytes { get; init; }

    /// <summary>Parties in the same visit that should receive this stream.</summary>
    public required int Receivers { get; init; }

    public long NextDueTicks;
    public long Frame;
    public ushort Sequence;
    public uint ProbeSequence;
    public long Sent;
    public long SendErrors;

    /// <summary>Due before the measured window; not expected at the receivers' counters.</summary>
    public long WarmUpSent;
}

/// <summary>
/// Paces every stream from one dedicated thread: it wakes every tick (a few ms, sleeping in between so the server keeps its cores),
/// sends every frame that has come due, and keeps the long-run rate exact whatever the wake-up jitter. Video goes out as frames of
/// several packets at 30 fps (marker bit on the last, RFC 7741 §4.1), Opus as one packet every 20 ms (RFC 7587 §4.2).
/// </summary>
internal sealed class TrafficSender(IReadOnlyList<OutgoingStream> streams, int tickMilliseconds, Random random)
{
    private readonly byte[] _buffer = new byte[2048];
    private readonly byte[] _filler = CreateFiller(random);

    private long _measureFromTicks;

    public long MaxLagTicks { get; private set; }
    public long Ticks { get; private set; }

    private static byte[] CreateFiller(Random random)
    {
        var filler = new byte[2048];
        random.NextBytes(filler);
        return filler;
    }

    /// <param name="measureFromTicks">Packets sent before this are warm-up (JIT, latching, the visit going live) and counted apart.</param>
    public void Run(long startTicks, long measureFromTicks, long endTicks)
    {
        _measureFromTicks = measureFromTicks;
        foreach (var stream in streams)
        {
            // Spread the streams over one frame interval so that parties do not all burst in the same tick.
            stream.NextDueTicks = startTicks + (long)(random.NextDouble() * Stopwatch.Frequency / stream.FramesPerSecond);
        }
        var tick = TimeSpan.FromMilliseconds(tickMilliseconds);
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= endTicks)
            {
                break;
            }
            Ticks++;
            foreach (var stream in streams)
            {
                while (stream.NextDueTicks <= now && stream.NextDueTicks < endTicks)
                {
                    if (now >= _measureFromTicks)
                    {
                        MaxLagTicks = Math.Max(MaxLagTicks, now - stream.NextDueTicks);
                    }
                    // A frame belongs to the measured window by when it was due, so a sender that falls behind during the
                    // warm-up does not pour its backlog into the window's counts.
                    SendFrame(stream, measured: stream.NextDueTicks >= _measureFromTicks);
                    stream.Frame++;
                    stream.NextDueTicks += (long)(Stopwatch.Frequency / stream.FramesPerSecond);
                }
            }
            var sleep = tick - Stopwatch.GetElapsedTime(now);
            if (sleep > TimeSpan.Zero)
            {
                Thread.Sleep(sleep);
            }
        }
    }

    private void SendFrame(OutgoingStream stream, bool measured)
    {
        // Whole packets per frame that keep the long-run packet rate exact (e.g. 125 packets/s at 30 fps: 4 or 5 per frame).
        var perFrame = stream.PacketsPerSecond / stream.FramesPerSecond;
        var packets = (int)(Math.Floor((stream.Frame + 1) * perFrame) - Math.Floor(stream.Frame * perFrame));
        var timestamp = (uint)(stream.Frame * stream.ClockRate / stream.FramesPerSecond);
        for (var i = 0; i < packets; i++)
        {
            var header = new RtpHeaderFields(Marker: i == packets - 1 && stream.IsVideo, stream.PayloadType, stream.Sequence++, timestamp, stream.Ssrc);
            var payloadLength = stream.PacketBytes - RtpPacket.FixedHeaderLength;
            var payload = _buffer.AsSpan(RtpPacket.FixedHeaderLength, payloadLength);
            _filler.AsSpan(0, payloadLength).CopyTo(payload);
            var sentTicks = Stopwatch.GetTimestamp();
            Probe.Write(payload, stream.Index, stream.ProbeSequence++, sentTicks, measured);
            if (!RtpPacketWriter.TryWrite(_buffer, header, payload, out var written))
            {
                throw new InvalidOperationException("An RTP packet did not fit the send buffer.");
            }
            foreach (var destination in stream.Destinations)
            {
                try
                {
                    stream.Socket.SendTo(_buffer.AsSpan(0, written), SocketFlags.None, destination);
                }
                catch (SocketException)
                {
                    stream.SendErrors++;
                }
            }
            if (measured)
            {
                stream.Sent++;
            }
            else
            {
                stream.WarmUpSent++;
            }
        }
    }
}
