using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MediaServer.Codecs.Sdp;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.Transport.WebRtc;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace MediaServer.LoadGen;

/// <summary>
/// One party of the relay bench as a browser joins (--streams-out --webrtc): a WebRTC offer with one sendrecv VP8 m-line
/// (BUNDLE, rtcp-mux, its own ICE credentials and certificate fingerprint), then on one UDP socket an ICE check as the
/// controlling agent with USE-CANDIDATE (RFC 8445 §7.1.2, §8.1.1) until the server answers, then a DTLS 1.2 client handshake on
/// BouncyCastle offering only AEAD_AES_128_GCM (RFC 5764, RFC 7714) that checks the server's fingerprint and exports the SRTP
/// keys. The media itself is then rtpload's (bench/relay/rtpload.c): this socket is released and rtpload binds the same port,
/// so the server sees the same 5-tuple. <see cref="ConsentCheck"/> is the check rtpload repeats to keep consent (RFC 7675).
/// </summary>
internal sealed partial class WebRtcClient : IDisposable
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(10);

    private WebRtcClient(Socket socket, int port, IPEndPoint server, byte[] consentCheck, DtlsTestClient dtls)
    {
        Socket = socket;
        Port = port;
        Server = server;
        ConsentCheck = consentCheck;
        Dtls = dtls;
    }

    public Socket Socket { get; }

    /// <summary>The local port it sends from and receives on (symmetric, as every browser).</summary>
    public int Port { get; }

    /// <summary>The server's host candidate: the shared WebRTC port.</summary>
    public IPEndPoint Server { get; }

    public byte[] ConsentCheck { get; }

    private DtlsTestClient Dtls { get; }

    /// <summary>The master key and salt this party protects with (the DTLS client's write key, RFC 5764 §4.2), as hex.</summary>
    public string SendKeyHex => Convert.ToHexString([.. Dtls.Material.ClientKey, .. Dtls.Material.ClientSalt]);

    /// <summary>The master key and salt the server protects with towards this party, as hex.</summary>
    public string ReceiveKeyHex => Convert.ToHexString([.. Dtls.Material.ServerKey, .. Dtls.Material.ServerSalt]);

    /// <summary>
    /// Joins <paramref name="visitId"/> as a WebRTC party on a port from <paramref name="ports"/>, sending with
    /// <paramref name="ssrc"/>, and completes ICE and DTLS. Throws with what failed.
    /// </summary>
    public static async Task<WebRtcClient> JoinAsync(MediaServerApi api, string token, string visitId, ClientPorts ports, uint ssrc,
        DtlsCertificate certificate, Random random, CancellationToken cancellation)
    {
        // 1. A socket, and the offer.
        var pair = ports.Allocate(video: true);
        pair.Rtcp.Dispose(); // rtcp-mux (RFC 5761): RTCP shares the RTP socket.
        var socket = pair.Rtp;
        try
        {
            var ufrag = Token(random, 8);
            var password = Token(random, 24);
            var offer = Offer(ufrag, password, certificate.Fingerprint, ssrc);

            // 2. The answer: the server's ICE credentials, host candidate and fingerprint.
            var answer = (await api.JoinAsync(token, visitId, offer, cancellation: cancellation).ConfigureAwait(false)).AnswerSdp;
            var serverUfrag = Attribute(answer, "ice-ufrag");
            var serverPassword = Attribute(answer, "ice-pwd");
            if (!SdpFingerprint.TryParse(Attribute(answer, "fingerprint"), out var serverFingerprint, out var error))
            {
                throw new InvalidOperationException($"the answer's fingerprint does not parse ({error}):\n{answer}");
            }
            var candidate = HostCandidate().Match(answer);
            if (!candidate.Success)
            {
                throw new InvalidOperationException("the answer has no UDP host candidate on 127.0.0.1:\n" + answer);
            }
            var server = new IPEndPoint(IPAddress.Loopback, int.Parse(candidate.Groups[1].Value, CultureInfo.InvariantCulture));

            // 3. ICE: the nominating check until its success response comes back.
            var check = BindingRequest(serverUfrag, ufrag, serverPassword, random);
            await CheckAsync(socket, server, check, serverPassword, cancellation).ConfigureAwait(false);

            // 4. DTLS as the client (the answer's a=setup:passive), keys exported at the end of the handshake.
            var dtls = new DtlsTestClient(new BcTlsCrypto(), certificate, serverFingerprint!, [SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM]);
            await Task.Run(() => new DtlsClientProtocol().Connect(dtls, new UdpDtlsTransport(socket, server)), cancellation).ConfigureAwait(false);
            if (dtls.SelectedProfile != SrtpProtectionProfile.SRTP_AEAD_AES_128_GCM)
            {
                throw new InvalidOperationException($"the server chose SRTP profile {dtls.SelectedProfile}, not AEAD_AES_128_GCM");
            }
            // The DTLS association is left open, never closed: a close_notify would end the leg (RFC 5246 §7.2.1).
            return new WebRtcClient(socket, pair.Port, server, check, dtls);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends the consent check once more (during the set-up of the other parties, before rtpload takes over).</summary>
    public void RefreshConsent() => Socket.SendTo(ConsentCheck, Server);

    public void Dispose() => Socket.Dispose();

    private static string Offer(string ufrag, string password, SdpFingerprint fingerprint, uint ssrc) =>
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
        + $"a=ice-ufrag:{ufrag}\r\na=ice-pwd:{password}\r\na=fingerprint:{fingerprint}\r\na=setup:actpass\r\na=mid:0\r\n"
        + "a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
        + string.Create(CultureInfo.InvariantCulture, $"a=ssrc:{ssrc} cname:loadgen\r\n");

    private static string Attribute(string sdp, string name)
    {
        foreach (var line in sdp.Split('\n'))
        {
            var text = line.TrimEnd('\r');
            if (text.StartsWith("a=" + name + ":", StringComparison.Ordinal))
            {
                return text[(name.Length + 3)..];
            }
        }
        throw new InvalidOperationException($"the answer has no a={name}:\n{sdp}");
    }

    private static byte[] BindingRequest(string serverUfrag, string ufrag, string serverPassword, Random random)
    {
        var transaction = new byte[12];
        random.NextBytes(transaction);
        return IceCheck.Build(serverUfrag, ufrag, serverPassword, transaction, useCandidate: true, tiebreaker: (ulong)random.NextInt64());
    }

    /// <summary>Sends the check every 200 ms until the server's success response to it comes back (RFC 8489 §6.3.1).</summary>
    private static async Task CheckAsync(Socket socket, IPEndPoint server, byte[] check, string serverPassword, CancellationToken cancellation)
    {
        var buffer = new byte[2048];
        var deadline = DateTime.UtcNow + CheckTimeout;
        while (DateTime.UtcNow < deadline)
        {
            await socket.SendToAsync(check, server, cancellation).ConfigureAwait(false);
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            wait.CancelAfter(TimeSpan.FromMilliseconds(200));
            try
            {
                while (true)
                {
                    var received = await socket.ReceiveAsync(buffer, wait.Token).ConfigureAwait(false);
                    if (IceCheck.IsSuccessFor(buffer.AsSpan(0, received), check, serverPassword))
                    {
                        return;
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                // No answer within 200 ms: send the check again.
            }
        }
        throw new TimeoutException($"no ICE check response from {server} within {CheckTimeout.TotalSeconds:0} s");
    }

    private static string Token(Random random, int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var text = new char[length];
        for (var i = 0; i < length; i++)
        {
            text[i] = Alphabet[random.Next(Alphabet.Length)];
        }
        return new string(text);
    }

    [GeneratedRegex(@"a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host", RegexOptions.IgnoreCase)]
    private static partial Regex HostCandidate();
}
