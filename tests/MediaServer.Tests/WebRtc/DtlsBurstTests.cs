using System.Net;
using System.Net.Sockets;
using MediaServer.Metrics;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.Transport.WebRtc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MediaServer.Tests.WebRtc;

/// <summary>
/// A burst of joins on the shared WebRTC port: when every handshake slot is busy, a leg's ClientHello is refused but the leg
/// stays, and the client's retransmitted flight (RFC 6347 §4.2.4) starts its handshake once a slot is free. Real loopback
/// sockets, the real port and sessions, and a BouncyCastle DTLS client.
/// </summary>
public sealed class DtlsBurstTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly DtlsCertificate ClientCertificate = DtlsCertificate.CreateEphemeral();

    private readonly RelayMetrics _metrics = new();
    private readonly Socket _busy = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _waiting = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly DtlsSrtpServer _dtls = new(DtlsCertificate.CreateEphemeral(), new DtlsOptions { MaxConcurrentHandshakes = 1 });
    private WebRtcPort _port = null!;
    private IPEndPoint _server = null!;

    public async Task InitializeAsync()
    {
        _port = new WebRtcPort(Options.Create(new WebRtcOptions { Port = 0, ListenAddress = "127.0.0.1" }), _metrics, NullLogger<WebRtcPort>.Instance);
        await _port.StartAsync(CancellationToken.None);
        _server = new IPEndPoint(IPAddress.Loopback, _port.Port);
        foreach (var socket in new[] { _busy, _waiting })
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.ReceiveTimeout = 10_000;
        }
    }

    public async Task DisposeAsync()
    {
        await _port.StopAsync(CancellationToken.None);
        _port.Dispose();
        _busy.Dispose();
        _waiting.Dispose();
    }

    [Fact]
    public async Task A_leg_refused_for_want_of_a_slot_completes_its_handshake_on_the_clients_next_flight()
    {
        // 1. Two legs, each nominated by a check from its own socket.
        using var busyLeg = Leg(_busy, "busy");
        using var waitingLeg = Leg(_waiting, "wait");

        // 2. The first takes the only slot: a DTLS record BouncyCastle discards as corrupt starts a handshake that then waits.
        _busy.SendTo(new byte[] { 22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, _server);
        await Poll.UntilAsync(() => _dtls.ActiveHandshakes == 1, Limit, "the first leg's handshake holding the slot");

        // 3. The second leg's client: its first ClientHello is refused (no slot), and the leg stays open.
        var client = new DtlsTestClient(new BcTlsCrypto(), ClientCertificate, _dtls.Fingerprint, [SrtpProfiles.AeadAes128Gcm]);
        var connect = Task.Run(() => new DtlsClientProtocol().Connect(client, new UdpDtlsTransport(_waiting, _server)));
        await Poll.UntilAsync(() => _dtls.RefusedHandshakes >= 1, Limit, "the second leg's ClientHello refused");
        Assert.False(waitingLeg.Failed, "a refused handshake must not end the leg");

        // 4. The slot frees (the first leg closes); the client's retransmitted ClientHello gets a handshake, which completes.
        busyLeg.Session.Dispose();
        var transport = await connect.WaitAsync(Limit);
        Assert.Equal(SrtpProfiles.AeadAes128Gcm, client.SelectedProfile);
        await Poll.UntilAsync(() => waitingLeg.Session.IsSecure, Limit, "the second leg keyed for SRTP");
        Assert.False(waitingLeg.Failed);
        Assert.True(_metrics.Drops(DropReason.DtlsRefused) >= 1, "the refusal is counted");
        transport.Close();
    }

    private TestLeg Leg(Socket from, string clientUfrag)
    {
        var session = new WebRtcSession(_port, _dtls, new WebRtcPeer(_port), clientUfrag, [ClientCertificate.Fingerprint], WebRtcRoutes.None,
            _metrics, NullLogger.Instance);
        var leg = new TestLeg(session);
        session.Failed += (_, _) => leg.Failed = true;
        session.Start();
        var check = IceCheck.Build(session.LocalUfrag, clientUfrag, session.LocalPassword, new byte[12]);
        from.SendTo(check, _server);
        var response = new byte[512];
        var length = from.Receive(response);
        Assert.True(IceCheck.IsSuccessFor(response.AsSpan(0, length), check, session.LocalPassword), "the check was not answered with success");
        return leg;
    }

    private sealed class TestLeg(WebRtcSession session) : IDisposable
    {
        public WebRtcSession Session { get; } = session;

        public bool Failed { get; set; }

        public void Dispose() => Session.Dispose();
    }
}
