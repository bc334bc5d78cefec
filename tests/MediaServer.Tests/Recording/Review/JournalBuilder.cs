using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using MediaServer.Codecs.Recording;
using MediaServer.Codecs.Rtcp;

namespace MediaServer.Tests.Recording.Review;

/// <summary>Writes a journal in the documented format (docs/recording-journal.md) for tests, record by record.</summary>
internal sealed class JournalBuilder : IDisposable
{
    private readonly FileStream _file;
    private readonly byte[] _buffer = new byte[JournalFormat.MaxPayloadLength + JournalFormat.RecordOverhead];
    private readonly long _monotonicOrigin;

    public JournalBuilder(string path, long originWallMicroseconds)
    {
        Path = path;
        _monotonicOrigin = originWallMicroseconds;
        _file = File.Create(path);
        var preamble = new byte[JournalFormat.PreambleLength];
        JournalFormat.WritePreamble(preamble);
        _file.Write(preamble);
    }

    public string Path { get; }

    public static long Micros(DateTimeOffset time) => (time - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    public void Begin(long wall, string visitId, (string Id, string Name) inmate, params (string Id, string Name)[] visitors) =>
        Json(JournalRecordType.Begin, wall, new
        {
            format = 1,
            visitId,
            inmate = new { id = inmate.Id, name = inmate.Name },
            visitors = visitors.Select(v => new { id = v.Id, name = v.Name }).ToArray(),
            startedAt = DateTimeOffset.UnixEpoch.AddTicks(wall * 10).ToString("O"),
        });

    public void Track(long wall, ushort track, string participant, string role, string kind, int clockRate, params (int Pt, string Codec)[] payloadTypes)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new
        {
            participant,
            role,
            leg = participant + "-leg",
            kind,
            clockRate,
            payloadTypes = payloadTypes.ToDictionary(p => p.Pt.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.Codec),
        });
        Media(JournalRecordType.Track, wall, track, json);
    }

    public void Rtp(long wall, ushort track, uint ssrc, ushort sequence, uint timestamp, byte payloadType, bool marker, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[12 + payload.Length];
        packet[0] = 0x80;
        packet[1] = (byte)((marker ? 0x80 : 0) | payloadType);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        payload.CopyTo(packet.AsSpan(12));
        Media(JournalRecordType.Rtp, wall, track, packet);
    }

    /// <summary>A journal record of an RTP packet exactly as captured.</summary>
    public void RtpDatagram(long wall, ushort track, ReadOnlySpan<byte> datagram) => Media(JournalRecordType.Rtp, wall, track, datagram);

    public void RtcpDatagram(long wall, ushort track, ReadOnlySpan<byte> datagram) => Media(JournalRecordType.SenderReport, wall, track, datagram);

    /// <summary>A sender report saying RTP timestamp <paramref name="rtpTimestamp"/> was sampled at <paramref name="senderNtpMicroseconds"/> (Unix µs on the sender's clock).</summary>
    public void SenderReport(long wall, ushort track, uint ssrc, long senderNtpMicroseconds, uint rtpTimestamp)
    {
        var sr = new byte[28];
        RtcpSenderReport.Write(sr, ssrc, ToNtp(senderNtpMicroseconds), rtpTimestamp, 0, 0, []);
        Media(JournalRecordType.SenderReport, wall, track, sr);
    }

    public static ulong ToNtp(long unixMicroseconds)
    {
        long micros = unixMicroseconds + (2_208_988_800L * 1_000_000);
        ulong seconds = (ulong)(micros / 1_000_000);
        ulong fraction = (((ulong)(micros % 1_000_000) << 32) + 500_000) / 1_000_000;
        return (seconds << 32) | fraction;
    }

    public void Event(long wall, string kind, string participant, string detail = "") =>
        Json(JournalRecordType.Event, wall, new { @event = kind, participant, detail });

    public void End(long wall, bool recovered = false) =>
        Json(JournalRecordType.End, wall, new { reason = recovered ? "recovered" : "ended", recovered, cutBytes = 0 });

    private void Json(JournalRecordType type, long wall, object body)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(body);
        var payload = new byte[JournalFormat.TimePrefixLength + json.Length];
        JournalFormat.WriteTimePrefix(payload, (wall - _monotonicOrigin) * 1000, wall);
        json.CopyTo(payload, JournalFormat.TimePrefixLength);
        Write(type, payload);
    }

    private void Media(JournalRecordType type, long wall, ushort track, ReadOnlySpan<byte> body)
    {
        var payload = new byte[JournalFormat.MediaPrefixLength + body.Length];
        JournalFormat.WriteMediaPrefix(payload, (wall - _monotonicOrigin) * 1000, wall, track);
        body.CopyTo(payload.AsSpan(JournalFormat.MediaPrefixLength));
        Write(type, payload);
    }

    private void Write(JournalRecordType type, ReadOnlySpan<byte> payload)
    {
        int n = JournalFormat.WriteRecord(_buffer, type, payload);
        _file.Write(_buffer, 0, n);
    }

    /// <summary>Writes the first bytes of a record and stops, as a crash mid-write leaves it.</summary>
    public void TornRecord() => _file.Write(Encoding.ASCII.GetBytes("\0\0\0\x40\x03partial"));

    public void Dispose() => _file.Dispose();
}
