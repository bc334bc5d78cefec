using System.Net;
using System.Net.Sockets;
using System.Text;
using MediaServer.Codecs.Srtp;
using MediaServer.Codecs.Stun;
using MediaServer.Metrics;
using MediaServer.Testing.WebRtc;
using MediaServer.Transport.WebRtc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MediaServer.Tests.WebRtc;

/// <summary>
/// ICE restart of a session on the shared port (RFC 8445 §9): new local credentials, checks on the old ones answered until
/// the first valid check on the new ones, which moves the selected path to its address; the old ufrag is then forgotten.
/// Media is taken from every address that passed a valid check within the consent timeout (RFC 8445 §12.1, §12.2).
/// Real loopback sockets: the browser's old path and its new one.
/// </summary>
public sealed class IceRestartTests : IAsyncLifetime
{
    private readonly RelayMetrics _metrics = new();
    private readonly Socket _oldPath = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly Socket _newPath = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private WebRtcPort _port = null!;
    private WebRtcSession _session = null!;
    private IPEndPoint _server = null!;
    private int _transaction;

    public async Task InitializeAsync()
    {
        _port = new WebRtcPort(Options.Create(new WebRtcOptions { Port = 0, ListenAddress = "127.0.0.1", ConsentTimeout = TimeSpan.FromSeconds(3) }),
            _metrics, NullLogger<WebRtcPort>.Instance);
        await _port.StartAsync(CancellationToken.None);
        _server = new IPEndPoint(IPAddress.Loopback, _port.Port);
        var dtls = new DtlsSrtpServer(DtlsCertificate.CreateEphemeral());
        _session = new WebRtcSession(_port, dtls, new WebRtcPeer(_port), "old1", [dtls.Fingerprint], WebRtcRoutes.None, _metrics, NullLogger.Instance);
        _session.Start();
        foreach (var socket in new[] { _oldPath, _newPath })
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.ReceiveTimeout = 10_000; // an answer comes at once; the limit is for a loaded, parallel run
        }
    }

    public async Task DisposeAsync()
    {
        _session.Dispose();
        await _port.StopAsync(CancellationToken.None);
        _port.Dispose();
        _oldPath.Dispose();
        _newPath.Dispose();
    }

    [Fact]
    public void A_restart_answers_the_old_credentials_until_the_first_check_on_the_new_ones_moves_the_path()
    {
        var (oldUfrag, oldPassword) = (_session.LocalUfrag, _session.LocalPassword);
        Assert.Equal(StunClass.SuccessResponse, Check(_oldPath, oldUfrag, "old1", oldPassword, useCandidate: true));
        var oldAddress = _session.Selected;
        Assert.NotNull(oldAddress);

        var latched = new ManualResetEventSlim();
        _session.Latched += _ => latched.Set();
        _session.RestartIce("new1");
        Assert.NotEqual(oldUfrag, _session.LocalUfrag);
        Assert.NotEqual(oldPassword, _session.LocalPassword);
        Assert.True(_session.IsRestarting);

        // Until the new path is checked, the old one still consents and carries media.
        Assert.Equal(StunClass.SuccessResponse, Check(_oldPath, oldUfrag, "old1", oldPassword, useCandidate: true));
        Assert.Equal(oldAddress, _session.Selected);
        // The new credentials with the old password are refused (401), the path stays.
        Assert.Equal(StunClass.ErrorResponse, Check(_newPath, _session.LocalUfrag, "new1", oldPassword, useCandidate: false));
        Assert.Equal(oldAddress, _session.Selected);

        // The first valid check on the new credentials latches its path (RFC 8445 §7.3), with or without USE-CANDIDATE.
        Assert.Equal(StunClass.SuccessResponse, Check(_newPath, _session.LocalUfrag, "new1", _session.LocalPassword, useCandidate: false));
        Assert.True(latched.Wait(TimeSpan.FromSeconds(5)), "Latched was not raised");
        Assert.False(_session.IsRestarting);
        Assert.NotEqual(oldAddress, _session.Selected);
        Assert.Equal(((IPEndPoint)_newPath.LocalEndPoint!).Port, new IPEndPoint(IPAddress.Any, 0).Create(_session.Selected!) is IPEndPoint e ? e.Port : -1);

        // The old ufrag is forgotten: its checks find no leg (counted, not answered).
        var refusedBefore = _metrics.Drops(DropReason.StunRefused);
        _oldPath.ReceiveTimeout = 300;
        Assert.Null(CheckOrNull(_oldPath, oldUfrag, "old1", oldPassword, useCandidate: true));
        Assert.Equal(refusedBefore + 1, _metrics.Drops(DropReason.StunRefused));
    }

    [Fact]
    public void A_second_restart_before_the_first_was_checked_keeps_the_path_in_use_and_forgets_the_unchecked_credentials()
    {
        var (firstUfrag, firstPassword) = (_session.LocalUfrag, _session.LocalPassword);
        Assert.Equal(StunClass.SuccessResponse, Check(_oldPath, firstUfrag, "old1", firstPassword, useCandidate: true));
        _session.RestartIce("new1");
        var (unchecked_, uncheckedPassword) = (_session.LocalUfrag, _session.LocalPassword);
        _session.RestartIce("new2");

        Assert.Equal(StunClass.SuccessResponse, Check(_oldPath, firstUfrag, "old1", firstPassword, useCandidate: true));
        _newPath.ReceiveTimeout = 300;
        Assert.Null(CheckOrNull(_newPath, unchecked_, "new1", uncheckedPassword, useCandidate: true));
        _newPath.ReceiveTimeout = 10_000;
        Assert.Equal(StunClass.SuccessResponse, Check(_newPath, _session.LocalUfrag, "new2", _session.LocalPassword, useCandidate: true));
        Assert.Equal(((IPEndPoint)_newPath.LocalEndPoint!).Port, new IPEndPoint(IPAddress.Any, 0).Create(_session.Selected!) is IPEndPoint e ? e.Port : -1);
    }

    /// <summary>
    /// RFC 8445 §12.1: after a restart the browser goes on sending on the pair it had selected until it picks one on the new
    /// credentials. What it sends there reaches the leg (here it fails SRTP authentication, counted as such, rather than
    /// finding no leg), also once the new path is nominated, until no valid check has come from the old path for the consent
    /// timeout (3 s here).
    /// </summary>
    [Fact]
    public async Task After_a_restart_the_old_paths_media_reaches_the_leg_until_that_path_has_been_silent_for_the_consent_timeout()
    {
        _session.Secure(SrtpProfile.AesCm128HmacSha1_80, Keys);
        Assert.Equal(StunClass.SuccessResponse, Check(_oldPath, _session.LocalUfrag, "old1", _session.LocalPassword, useCandidate: true));
        _session.RestartIce("new1");

        // The first valid check on the new credentials: what we send moves, both paths reach the leg.
        Assert.Equal(StunClass.SuccessResponse, Check(_newPath, _session.LocalUfrag, "new1", _session.LocalPassword, useCandidate: false));
        Assert.Equal(1, SendMediaAndCount(_oldPath, DropReason.SrtpAuth));
        Assert.Equal(1, SendMediaAndCount(_newPath, DropReason.SrtpAuth));
        Assert.Equal(StunClass.SuccessResponse, Check(_newPath, _session.LocalUfrag, "new1", _session.LocalPassword, useCandidate: true));
        Assert.Equal(1, SendMediaAndCount(_oldPath, DropReason.SrtpAuth));
        Assert.Equal(2, _session.PathCount);

        // The new path keeps consenting; the old one sends no check (its credentials are gone) and is forgotten.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_session.PathCount > 1 && DateTime.UtcNow < deadline)
        {
            Assert.Equal(StunClass.SuccessResponse, Check(_newPath, _session.LocalUfrag, "new1", _session.LocalPassword, useCandidate: true));
            await Task.Delay(250);
        }
        Assert.Equal(1, _session.PathCount);
        Assert.Equal(1, SendMediaAndCount(_oldPath, DropReason.NotConnected));
        Assert.Equal(1, SendMediaAndCount(_newPath, DropReason.SrtpAuth));
    }

    /// <summary>
    /// A browser with two local candidates checks both, every check with USE-CANDIDATE (aggressive nomination towards an
    /// ICE-lite agent), while it sends media on one of them: media from either reaches the leg, whichever was checked last
    /// (this was a second's gap in a recording after an ICE restart). Closing the leg unbinds both.
    /// </summary>
    [Fact]
    public void Two_paths_checked_in_turn_both_reach_the_leg_and_closing_it_unbinds_both()
    {
        _session.Secure(SrtpProfile.AesCm128HmacSha1_80, Keys);
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(StunClass.SuccessResponse, Check(_oldPath, _session.LocalUfrag, "old1", _session.LocalPassword, useCandidate: true));
            Assert.Equal(StunClass.SuccessResponse, Check(_newPath, _session.LocalUfrag, "old1", _session.LocalPassword, useCandidate: true));
            Assert.Equal(1, SendMediaAndCount(_oldPath, DropReason.SrtpAuth));
            Assert.Equal(1, SendMediaAndCount(_newPath, DropReason.SrtpAuth));
        }
        Assert.Equal(((IPEndPoint)_newPath.LocalEndPoint!).Port, new IPEndPoint(IPAddress.Any, 0).Create(_session.Selected!) is IPEndPoint e ? e.Port : -1);

        _session.Dispose();
        Assert.Equal(1, SendMediaAndCount(_oldPath, DropReason.NotConnected));
        Assert.Equal(1, SendMediaAndCount(_newPath, DropReason.NotConnected));
    }

    /// <summary>At most four addresses reach one leg: a fifth takes the place of the one checked longest ago, never the selected one's.</summary>
    [Fact]
    public void A_fifth_path_takes_the_place_of_the_one_checked_longest_ago()
    {
        _session.Secure(SrtpProfile.AesCm128HmacSha1_80, Keys);
        var sockets = Enumerable.Range(0, 5).Select(_ =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return socket;
        }).ToList();
        try
        {
            // The first one is nominated (selected); the second is the one checked longest ago of the others.
            Assert.Equal(StunClass.SuccessResponse, Check(sockets[0], _session.LocalUfrag, "old1", _session.LocalPassword, useCandidate: true));
            foreach (var socket in sockets.Skip(1))
            {
                Assert.Equal(StunClass.SuccessResponse, Check(socket, _session.LocalUfrag, "old1", _session.LocalPassword, useCandidate: false));
            }
            Assert.Equal(WebRtcSession.MaxPaths, _session.PathCount);
            Assert.Equal(1, SendMediaAndCount(sockets[0], DropReason.SrtpAuth));
            Assert.Equal(1, SendMediaAndCount(sockets[1], DropReason.NotConnected));
            foreach (var socket in sockets.Skip(2))
            {
                Assert.Equal(1, SendMediaAndCount(socket, DropReason.SrtpAuth));
            }
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    private static readonly DtlsSrtpKeys Keys = new(1, new byte[16], new byte[14], new byte[16], new byte[14]);

    /// <summary>Sends one datagram that looks like SRTP from <paramref name="from"/> and waits for it to be counted as <paramref name="reason"/>.</summary>
    private long SendMediaAndCount(Socket from, DropReason reason)
    {
        var before = _metrics.Drops(reason);
        var packet = new byte[60];
        packet[0] = 0x80;
        packet[1] = 96;
        from.SendTo(packet, _server);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_metrics.Drops(reason) == before && DateTime.UtcNow < deadline)
        {
            Thread.Yield();
        }
        return _metrics.Drops(reason) - before;
    }

    private StunClass Check(Socket from, string localUfrag, string remoteUfrag, string password, bool useCandidate) =>
        CheckOrNull(from, localUfrag, remoteUfrag, password, useCandidate) ?? throw new Xunit.Sdk.XunitException("no STUN response");

    private StunClass? CheckOrNull(Socket from, string localUfrag, string remoteUfrag, string password, bool useCandidate)
    {
        var transaction = new byte[12];
        new Random(++_transaction).NextBytes(transaction);
        from.SendTo(IceCheck.Build(localUfrag, remoteUfrag, password, transaction, useCandidate), _server);
        var response = new byte[1024];
        try
        {
            var length = from.Receive(response);
            Assert.True(StunMessage.TryParse(response.AsSpan(0, length), out var message));
            return message.Class;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }
}
