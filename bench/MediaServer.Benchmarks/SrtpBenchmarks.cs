using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Srtp;

namespace MediaServer.Benchmarks;

/// <summary>
/// SRTP on a 1200-byte RTP packet (12-byte header, 1188-byte payload) for both profiles: protect alone, and protect
/// followed by unprotect (a receiver refuses a replayed packet before any crypto, so unprotect is measured on fresh
/// packets; unprotect ≈ round trip − protect). Allocated must read 0 B for every row.
/// Run: dotnet run -c Release --project bench/MediaServer.Benchmarks -- --job short --filter '*Srtp*'
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: the contexts are disposed in [GlobalCleanup].
public class SrtpBenchmarks
#pragma warning restore CA1001
{
    private const int PacketLength = 1200;

    private readonly byte[] _plain = new byte[PacketLength];
    private readonly byte[] _buffer = new byte[1500];
    private SrtpContext _sender = null!;
    private SrtpContext _receiver = null!;
    private ushort _sequenceNumber;

    [Params(SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm)]
    public SrtpProfile Profile { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var key = new byte[Profile.MasterKeyLength()];
        var salt = new byte[Profile.MasterSaltLength()];
        random.NextBytes(key);
        random.NextBytes(salt);
        _sender = new SrtpContext(Profile, key, salt);
        _receiver = new SrtpContext(Profile, key, salt);

        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        random.NextBytes(payload);
        RtpPacketWriter.TryWrite(_plain, new RtpHeaderFields(false, 96, 0, 0, 0x1234_5678), payload, out _);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sender.Dispose();
        _receiver.Dispose();
    }

    [Benchmark]
    public int Protect()
    {
        NextPacket();
        _sender.TryProtectRtp(_buffer, PacketLength, out int length);
        return length;
    }

    [Benchmark]
    public SrtpResult ProtectThenUnprotect()
    {
        NextPacket();
        _sender.TryProtectRtp(_buffer, PacketLength, out int length);
        return _receiver.TryUnprotectRtp(_buffer, length, out _);
    }

    private void NextPacket()
    {
        _plain.CopyTo(_buffer, 0);
        _sequenceNumber++;
        _buffer[2] = (byte)(_sequenceNumber >> 8);
        _buffer[3] = (byte)_sequenceNumber;
    }
}
