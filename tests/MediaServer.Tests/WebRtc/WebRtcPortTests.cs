using System.Net;
using System.Net.Sockets;
using System.Text;
using MediaServer.Codecs.Stun;
using MediaServer.Metrics;
using MediaServer.Transport.WebRtc;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace MediaServer.Tests.WebRtc;

/// <summary>The shared WebRTC port on a real loopback socket, fed by a hostile client.</summary>
public sealed class WebRtcPortTests : IAsyncLifetime
{
    private const string RemoteUfrag = "peer";
    private readonly RelayMetrics _metrics = new();
    private readonly Socket _client = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private WebRtcPort _port = null!;
    private WebRtcSession _session = null!;
    private IPEndPoint _server = null!;

    public async Task InitializeAsync()
    {
        var options = Options.Create(new WebRtcOptions { Port = 0, ListenAddress = "127.0.0.1" });
        _port = new WebRtcPort(options, _metrics, NullLogger<WebRtcPort>.Instance);
        await _port.StartAsync(CancellationToken.None);
        _server = new IPEndPoint(IPAddress.Loopback, _port.Port);
        var dtls = new DtlsSrtpServer(DtlsCertificate.CreateEphemeral());
        _session = new WebRtcSession(_port, dtls, new WebRtcPeer(_port), RemoteUfrag, [dtls.Fingerprint], WebRtcRoutes.None, _metrics,
            NullLogger.Instance);
        _session.Start();
        _client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _client.ReceiveTimeout = 5000;
    }

    public async Task DisposeAsync()
    {
        _session.Dispose();
        await _port.StopAsync(CancellationToken.None);
        _port.Dispose();
        _client.Dispose();
    }

    private byte[] BindingRequest(string password, bool breakFingerprint = false, bool useCandidate = true)
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer);
        var transaction = new byte[12];
        new Random(7).NextBytes(transaction);
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, transaction));
        Assert.True(writer.AddUsername($"{_session.LocalUfrag}:{RemoteUfrag}".AsSpan()));
        Assert.True(writer.AddPriority(0x6E0001FF));
        Assert.True(writer.AddIceControlling(42));
        if (useCandidate)
        {
            Assert.True(writer.AddUseCandidate());
        }
        Assert.True(writer.AddMessageIntegrity(Encoding.ASCII.GetBytes(password)));
        Assert.True(writer.AddFingerprint());
        var message = buffer[..writer.BytesWritten];
        if (breakFingerprint)
        {
            message[^1] ^= 0x01;
        }
        return message;
    }

    private byte[]? Exchange(byte[] request)
    {
        _client.SendTo(request, _server);
        var response = new byte[1024];
        try
        {
            var length = _client.Receive(response);
            return response[..length];
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    [Fact]
    public void A_valid_check_is_answered_with_our_integrity_and_binds_the_address()
    {
        var response = Exchange(BindingRequest(_session.LocalPassword));
        Assert.NotNull(response);
        Assert.True(StunMessage.TryParse(response, out var message));
        Assert.Equal(StunClass.SuccessResponse, message.Class);
        Assert.True(message.VerifyMessageIntegrity(Encoding.ASCII.GetBytes(_session.LocalPassword)));
        Assert.True(message.VerifyFingerprint());
        Assert.True(message.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(((IPEndPoint)_client.LocalEndPoint!).Port, mapped.Port);
        Assert.NotNull(_session.Selected);
    }

    [Fact]
    public void A_check_with_the_wrong_password_gets_401_and_binds_nothing()
    {
        var response = Exchange(BindingRequest("not-the-password-at-all-x"));
        Assert.NotNull(response);
        Assert.True(StunMessage.TryParse(response, out var message));
        Assert.Equal(StunClass.ErrorResponse, message.Class);
        Assert.True(message.TryGetErrorCode(out var code, out _));
        Assert.Equal(401, code);
        Assert.Null(_session.Selected);
        // The next check's answer proves the broken one was handled before it (one loop, in order): its drop is counted by then.
        _client.ReceiveTimeout = 5000;
        Assert.NotNull(Exchange(BindingRequest(_session.LocalPassword)));
        Assert.Equal(1, _metrics.Drops(DropReason.StunRefused));
    }

    [Fact]
    public void A_check_with_a_broken_fingerprint_is_dropped_and_counted()
    {
        _client.ReceiveTimeout = 300;
        Assert.Null(Exchange(BindingRequest(_session.LocalPassword, breakFingerprint: true)));
        Assert.Null(_session.Selected);
        // The next check's answer proves the broken one was handled before it (one loop, in order): its drop is counted by then.
        // Generous: in a full parallel run the loop's continuation can wait seconds for a pool thread (it answers at once otherwise).
        _client.ReceiveTimeout = 30_000;
        Assert.NotNull(Exchange(BindingRequest(_session.LocalPassword)));
        Assert.Equal(1, _metrics.Drops(DropReason.StunRefused));
    }

    [Fact]
    public void Garbage_on_the_shared_port_is_counted_and_the_port_keeps_answering()
    {
        var random = new Random(20261125);
        for (var i = 0; i < 2000; i++)
        {
            var junk = new byte[random.Next(1, 1400)];
            random.NextBytes(junk);
            _client.SendTo(junk, _server);
        }
        // A real check after the flood still gets its answer (the loop survived and is not stuck behind the junk).
        var response = Exchange(BindingRequest(_session.LocalPassword));
        Assert.NotNull(response);
        Assert.True(StunMessage.TryParse(response, out var message));
        Assert.Equal(StunClass.SuccessResponse, message.Class);
        var dropped = _metrics.Drops(DropReason.Malformed) + _metrics.Drops(DropReason.NotConnected) + _metrics.Drops(DropReason.StunRefused);
        Assert.True(dropped >= 1900, $"only {dropped} of 2000 junk datagrams were counted as drops");
    }

    [Fact]
    public void Srtp_before_dtls_is_dropped_as_not_connected()
    {
        Assert.NotNull(Exchange(BindingRequest(_session.LocalPassword)));
        var rtp = new byte[100];
        rtp[0] = 0x80;
        rtp[1] = 96;
        _client.SendTo(rtp, _server);
        // The next check's answer proves the RTP datagram before it was handled (one loop, in order).
        Assert.NotNull(Exchange(BindingRequest(_session.LocalPassword)));
        Assert.Equal(1, _metrics.Drops(DropReason.NotConnected));
    }
}
