using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Rtp;
using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Stun;
using MediaServer.Media;
using MediaServer.Metrics;
using MediaServer.Routing;
using MediaServer.Transport.WebRtc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MediaServer.Benchmarks;

/// <summary>
/// The server's WebRTC path for one 1200-byte video packet, from the shared port's datagram handler to the sends: demux by
/// first byte (RFC 7983), leg lookup by source address, SRTP unprotect with replay check (RFC 3711 §3.3), RTP validation,
/// routing by payload type, the track's packet cache, then for each of N WebRTC receivers the header rewrite, SRTP protect
/// under the leg's lock, and the send. Real <see cref="WebRtcPort"/> and <see cref="WebRtcSession"/>s: each leg is bound by
/// a real STUN check through the port and keyed as DTLS would key it (<see cref="WebRtcSession.Secure"/>); the port's
/// socket is a <see cref="NullDatagramSender"/>, so the kernel's sendto is not in the figures.
/// <para>
/// A receiver refuses a replayed packet, so every operation first protects a fresh packet as the browser would: that is
/// <see cref="BrowserProtect"/>, the baseline; the server's own work is <see cref="ReceiveRouteAndSend"/> minus the baseline.
/// Allocated must read 0 B for every row.
/// Run: dotnet run -c Release --project bench/MediaServer.Benchmarks -- --job short --filter '*WebRtcPath*'
/// </para>
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: everything is disposed in [GlobalCleanup].
public class WebRtcPathBenchmarks
#pragma warning restore CA1001
{
    private const int PacketLength = 1200;
    private const string BrowserUfrag = "brws";

    private readonly byte[] _plain = new byte[PacketLength];
    private readonly byte[] _wire = new byte[1500];
    private readonly List<WebRtcSession> _sessions = [];
    private WebRtcPort _port = null!;
    private NullDatagramSender _socket = null!;
    private SrtpContext _browser = null!;
    private SocketAddress _kioskAddress = null!;
    private RelayMetrics _metrics = null!;
    private ushort _sequence;
    private uint _timestamp;

    [Params(SrtpProfile.AesCm128HmacSha1_80, SrtpProfile.AeadAes128Gcm)]
    public SrtpProfile Profile { get; set; }

    [Params(1, 4)]
    public int Receivers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _metrics = new RelayMetrics();
        _port = new WebRtcPort(Options.Create(new WebRtcOptions()), _metrics, NullLogger<WebRtcPort>.Instance);
        _socket = new NullDatagramSender();
        _port.Sender = _socket;
        var dtls = new DtlsSrtpServer(DtlsCertificate.CreateEphemeral());
        var router = new VisitRouter("bench");

        // The kiosk's leg: its video track, routed by payload type as WebRtcJoin sets it up.
        var kioskPeer = new WebRtcPeer(_port);
        var codecs = new MediaCodec[128];
        codecs[96] = MediaCodec.Vp8;
        var kioskCounters = new PartyCounters(0);
        var track = new Track("kiosk", MediaKind.Video, codecs, kioskCounters, _metrics) { KeyframeSource = kioskPeer, Rtcp = kioskPeer };
        var byPayloadType = new IRtpSink?[128];
        byPayloadType[96] = track;
        Leg(dtls, random, kioskPeer, new WebRtcRoutes(byPayloadType, [], []), out _kioskAddress, out var kioskKeys, port: 50_000);
        router.Attach(new RouterParty("kiosk", isKiosk: true, track, null, [], [], kioskCounters));
        // What the browser protects with is what the server unprotects with: the client write key (RFC 5764 §4.2).
        _browser = new SrtpContext(Profile, kioskKeys.RemoteMasterKey, kioskKeys.RemoteMasterSalt);

        for (var i = 0; i < Receivers; i++)
        {
            var peer = new WebRtcPeer(_port);
            var payloadTypes = new byte[MediaCodecs.Count];
            Array.Fill(payloadTypes, MediaCodecs.NoPayloadType);
            payloadTypes[(int)MediaCodec.Vp8] = 100;
            var counters = new PartyCounters(0);
            var id = "visitor" + i;
            var slot = new ReceiverSlot(id, MediaKind.Video, 0, payloadTypes, (uint)(0x1000 + i), peer,
                counters, _metrics) { Rtcp = peer };
            Leg(dtls, random, peer, new WebRtcRoutes(new IRtpSink?[128], [slot], []), out _, out _, port: 50_002 + (2 * i));
            router.Attach(new RouterParty(id, isKiosk: false, null, null, [slot], [], counters));
        }

        var payload = new byte[PacketLength - RtpPacket.FixedHeaderLength];
        random.NextBytes(payload);
        if (!RtpPacketWriter.TryWrite(_plain, new RtpHeaderFields(false, 96, 0, 0, 0x11223344), payload, out _))
        {
            throw new InvalidOperationException("Could not build the packet.");
        }
        var sentBefore = _socket.Sent;
        for (var i = 0; i < 16; i++)
        {
            ReceiveRouteAndSend();
        }
        if (_metrics.PacketsOut != 16L * Receivers || _socket.Sent == sentBefore)
        {
            throw new InvalidOperationException($"Expected {16 * Receivers} packets out, counted {_metrics.PacketsOut}; drops: "
                + string.Join(", ", RelayMetrics.Reasons.Select(r => $"{RelayMetrics.Label(r)} {_metrics.Drops(r)}")));
        }
    }

    /// <summary>One leg on the port: registered, bound by an authenticated check from <paramref name="port"/>, keyed.</summary>
    private void Leg(DtlsSrtpServer dtls, Random random, WebRtcPeer peer, WebRtcRoutes routes, out SocketAddress address,
        out DtlsSrtpKeys keys, int port)
    {
        var session = new WebRtcSession(_port, dtls, peer, BrowserUfrag, [dtls.Fingerprint], routes, _metrics, NullLogger.Instance);
        _sessions.Add(session);
        session.Start();
        address = new IPEndPoint(IPAddress.Loopback, port).Serialize();
        var check = BindingRequest(session);
        _port.OnDatagram(check, address);
        if (session.Selected is null)
        {
            throw new InvalidOperationException("The STUN check did not bind the leg.");
        }
        keys = new DtlsSrtpKeys(Profile.ProtectionProfileId(), Bytes(random, Profile.MasterKeyLength()), Bytes(random, Profile.MasterSaltLength()),
            Bytes(random, Profile.MasterKeyLength()), Bytes(random, Profile.MasterSaltLength()));
        session.Secure(Profile, keys);
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] BindingRequest(WebRtcSession session)
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer);
        if (!(writer.Begin(StunClass.Request, StunMethod.Binding, new byte[12])
            && writer.AddUsername($"{session.LocalUfrag}:{BrowserUfrag}".AsSpan())
            && writer.AddPriority(0x6E0001FF)
            && writer.AddIceControlling(42)
            && writer.AddUseCandidate()
            && writer.AddMessageIntegrity(Encoding.ASCII.GetBytes(session.LocalPassword))
            && writer.AddFingerprint()))
        {
            throw new InvalidOperationException("Could not build the check.");
        }
        return buffer[..writer.BytesWritten];
    }

    /// <summary>The browser's part: the next packet of the stream, protected (fresh index each time).</summary>
    [Benchmark(Baseline = true)]
    public int BrowserProtect()
    {
        _plain.AsSpan().CopyTo(_wire);
        RtpHeader.SetSequenceNumber(_wire, ++_sequence);
        RtpHeader.SetTimestamp(_wire, _timestamp += 3000);
        _browser.TryProtectRtp(_wire, PacketLength, out var length);
        return length;
    }

    /// <summary>The browser's protect, then everything the server does with that datagram up to the N protected sends.</summary>
    [Benchmark]
    public void ReceiveRouteAndSend()
    {
        var length = BrowserProtect();
        _port.OnDatagram(_wire.AsSpan(0, length), _kioskAddress);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var session in _sessions)
        {
            session.Dispose();
        }
        _browser.Dispose();
        _port.Dispose();
    }
}
