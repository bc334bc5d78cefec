using System.Net;
using System.Net.Sockets;
using MediaServer.Metrics;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.Transport;
using MediaServer.Transport.WebRtc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MediaServer.Tests.WebRtc;

/// <summary>Runs alone, after the parallel tests: it installs the process-wide batched I/O threads with two threads itself.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BatchedThreadsCollection
{
    public const string Name = "Batched I/O threads installed by the test";
}

/// <summary>
/// The shared WebRTC port as a SO_REUSEPORT group, one socket per batched I/O thread, over real loopback sockets: every leg's
/// ICE check is answered and its DTLS handshake completes whichever member the kernel hands its datagrams to; a socket of
/// another process already on the port stops the start; and the group can be turned off.
/// </summary>
[Collection(BatchedThreadsCollection.Name)]
public sealed class WebRtcPortGroupTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private static readonly DtlsCertificate ClientCertificate = DtlsCertificate.CreateEphemeral();

    private readonly RelayMetrics _metrics = new();
    private readonly IDisposable _threads = DatagramIo.UseBatched(2, NullLogger.Instance);
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
        _threads.Dispose();
    }

    private async Task<WebRtcPort> StartPortAsync(int port = 0, bool group = true)
    {
        var webRtc = new WebRtcPort(Options.Create(new WebRtcOptions { Port = port, ListenAddress = "127.0.0.1", SocketPerIoThread = group }),
            _metrics, NullLogger<WebRtcPort>.Instance);
        _owned.Add(webRtc);
        await webRtc.StartAsync(CancellationToken.None);
        return webRtc;
    }

    private Socket Client()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _owned.Add(socket);
        return socket;
    }

    [Fact]
    public async Task Every_legs_check_and_handshake_succeed_whichever_member_of_the_group_receives_them()
    {
        // 1. Two I/O threads: the port binds two sockets, and they are the only ones on it.
        Assert.Equal(2, DatagramIo.Batched!.ThreadCount);
        var port = await StartPortAsync();
        Assert.Equal(2, port.SocketCount);
        Assert.Equal(2, ReusePort.CountBound(IPAddress.Loopback, port.Port));
        var server = new IPEndPoint(IPAddress.Loopback, port.Port);
        var dtls = new DtlsSrtpServer(DtlsCertificate.CreateEphemeral(), new DtlsOptions());

        // 2. Twelve legs from twelve client sockets (the kernel spreads their address pairs over both members): each check is
        //    answered with a success that carries the leg's integrity, and each DTLS handshake keys the leg for SRTP.
        var legs = new List<(WebRtcSession Session, Task Connected)>();
        for (var i = 0; i < 12; i++)
        {
            var client = Client();
            var ufrag = $"client{i:00}";
            var session = new WebRtcSession(port, dtls, new WebRtcPeer(port), ufrag, [ClientCertificate.Fingerprint], WebRtcRoutes.None,
                _metrics, NullLogger.Instance);
            _owned.Add(session);
            session.Start();
            var transaction = new byte[12];
            transaction[0] = (byte)i;
            var check = IceCheck.Build(session.LocalUfrag, ufrag, session.LocalPassword, transaction);
            client.SendTo(check, server);
            var response = new byte[512];
            var length = client.Receive(response);
            Assert.True(IceCheck.IsSuccessFor(response.AsSpan(0, length), check, session.LocalPassword), $"leg {i}: the check was not answered with success");
            var dtlsClient = new DtlsTestClient(new BcTlsCrypto(), ClientCertificate, dtls.Fingerprint, [SrtpProfiles.AeadAes128Gcm]);
            legs.Add((session, Task.Run(() => new DtlsClientProtocol().Connect(dtlsClient, new UdpDtlsTransport(client, server)))));
        }
        foreach (var (session, connected) in legs)
        {
            await connected.WaitAsync(Limit);
            await Poll.UntilAsync(() => session.IsSecure, Limit, $"leg {session.LocalUfrag} keyed for SRTP");
        }
        Assert.Equal(0, _metrics.Drops(DropReason.StunRefused));
        Assert.Equal(0, _metrics.Drops(DropReason.NotConnected));
    }

    [Fact]
    public async Task A_socket_of_another_process_on_the_port_stops_the_start()
    {
        // Another process's SO_REUSEPORT socket (here one of this test's own, which the port did not bind) would take a share
        // of every leg's datagrams.
        using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        ReusePort.Enable(stranger);
        stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var taken = ((IPEndPoint)stranger.LocalEndPoint!).Port;

        var error = await Assert.ThrowsAsync<MediaPortUnavailableException>(() => StartPortAsync(taken));

        Assert.Contains($"127.0.0.1:{taken}", error.Message, StringComparison.Ordinal);
        Assert.Contains("another process", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, ReusePort.CountBound(IPAddress.Loopback, taken));
    }

    [Fact]
    public async Task With_the_group_off_the_port_is_one_socket_and_refuses_a_second_binder()
    {
        var port = await StartPortAsync(group: false);

        Assert.Equal(1, port.SocketCount);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        ReusePort.Enable(second);
        Assert.Throws<SocketException>(() => second.Bind(new IPEndPoint(IPAddress.Loopback, port.Port)));
    }

    [Theory]
    [InlineData("127.0.0.1", 41000, "0100007F:A028")]
    [InlineData("10.1.2.3", 5, "0302010A:0005")]
    [InlineData("::1", 41000, "00000000000000000000000001000000:A028")]
    public void The_proc_table_address_format_is_the_kernels(string address, int port, string expected) =>
        Assert.Equal(expected, ReusePort.Format(IPAddress.Parse(address), port));

    [Fact]
    public void Only_rows_bound_to_the_address_and_port_are_counted()
    {
        const string Table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
             1: 0100007F:A028 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 101 2 0000000000000000 0
             2: 0100007F:A028 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 102 2 0000000000000000 0
             3: 00000000:A028 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 103 2 0000000000000000 0
             4: 0100007F:A029 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 104 2 0000000000000000 0
            """;

        Assert.Equal(2, ReusePort.CountBound(Table, IPAddress.Loopback, 41000));
        Assert.Equal(0, ReusePort.CountBound(Table, IPAddress.Loopback, 41002));
    }
}
