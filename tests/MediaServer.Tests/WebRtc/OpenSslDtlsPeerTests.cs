using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using MediaServer.Transport;
using MediaServer.Transport.WebRtc;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace MediaServer.Tests.WebRtc;

/// <summary>
/// A real peer over a real UDP socket: <c>openssl s_client -dtls1_2 -use_srtp</c> (OpenSSL's DTLS-SRTP is what aiortc runs on)
/// against our handshake behind a receive loop, with both sides exporting the RFC 5764 keying material.
/// </summary>
public sealed partial class OpenSslDtlsPeerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dtls-openssl-" + Guid.NewGuid().ToString("N"));

    public OpenSslDtlsPeerTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("SRTP_AES128_CM_SHA1_80", SrtpProfiles.Aes128CmHmacSha1_80)]
    [InlineData("SRTP_AEAD_AES_128_GCM", SrtpProfiles.AeadAes128Gcm)]
    public async Task Openssl_s_client_completes_a_dtls_srtp_handshake_and_exports_the_same_keys(string opensslProfile, int profile)
    {
        var keyLength = SrtpProfiles.KeyLength(profile);
        var saltLength = SrtpProfiles.SaltLength(profile);
        var exportLength = 2 * (keyLength + saltLength);
        // scripts/setup.sh --test installs openssl; a machine without it must fail here, not pass without checking anything.
        var openssl = FindOpenSsl()
            ?? throw new InvalidOperationException("openssl is not on PATH: run scripts/setup.sh --test (it installs it with apt-get)");

        var (certPath, keyPath, clientFingerprint) = WriteClientCertificate();
        var server = new DtlsSrtpServer(DtlsCertificate.CreateEphemeral(), new DtlsOptions { PostHandshakeLinger = TimeSpan.Zero });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var router = new FirstPeerRouter(server, new UdpDatagramSender(socket), clientFingerprint);
        using var stop = new CancellationTokenSource();
        var loop = DatagramReceiveLoop.Start(socket, router, NullLogger.Instance, stop.Token);

        var start = new ProcessStartInfo(openssl)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "s_client", "-dtls1_2", "-connect", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "-use_srtp", opensslProfile, "-cert", certPath, "-key", keyPath,
            "-keymatexport", "EXTRACTOR-dtls_srtp", "-keymatexportlen", exportLength.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();

        if (await Task.WhenAny(router.Result, Task.Delay(TimeSpan.FromSeconds(20))) != router.Result)
        {
            // Say what was seen, not only that the wait ran out: how far the peer got and what it printed.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Fail($"no handshake result within 20 s; {router.Datagrams} DTLS datagram(s) reached the router, " +
                $"handshake started: {router.Started}\nopenssl:\n{await output}{await errors}");
        }
        var result = await router.Result;
        // Closing stdin makes s_client end the session and print what it negotiated.
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var text = await output + await errors;
        await stop.CancelAsync();
        socket.Close();
        await loop.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(result.Succeeded, result.Reason + "\n" + text);
        Assert.Equal(profile, result.Keys!.Profile);
        Assert.Contains($"SRTP Extension negotiated, profile={opensslProfile}", text, StringComparison.Ordinal);
        var match = KeyingMaterial().Match(text);
        Assert.True(match.Success, text);
        var material = Convert.FromHexString(match.Groups[1].Value);
        Assert.Equal(exportLength, material.Length);
        // RFC 5764 §4.2 order: client key, server key, client salt, server salt.
        Assert.Equal(material[..keyLength], result.Keys.RemoteMasterKey);
        Assert.Equal(material[keyLength..(2 * keyLength)], result.Keys.LocalMasterKey);
        Assert.Equal(material[(2 * keyLength)..(2 * keyLength + saltLength)], result.Keys.RemoteMasterSalt);
        Assert.Equal(material[(2 * keyLength + saltLength)..], result.Keys.LocalMasterSalt);
    }

    [GeneratedRegex(@"Keying material:\s*([0-9A-Fa-f]+)")]
    private static partial Regex KeyingMaterial();

    private (string CertPath, string KeyPath, Codecs.Sdp.SdpFingerprint Fingerprint) WriteClientCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=openssl-peer", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_directory, "client-cert.pem");
        var keyPath = Path.Combine(_directory, "client-key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, CertificateFingerprint.Compute("sha-256", certificate.RawData)!);
    }

    private static string? FindOpenSsl()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, "openssl");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>The shared-port side in miniature: the first source address gets a handshake; its DTLS records (RFC 7983 §7) feed it.</summary>
    private sealed class FirstPeerRouter(DtlsSrtpServer server, IDatagramSender sender, Codecs.Sdp.SdpFingerprint fingerprint) : IDatagramHandler
    {
        private readonly TaskCompletionSource<DtlsResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private DtlsSrtpHandshake? _handshake;
        private int _datagrams;

        public Task<DtlsResult> Result => _result.Task;

        public int Datagrams => Volatile.Read(ref _datagrams);

        public bool Started => Volatile.Read(ref _handshake) is not null;

        public void OnOversize(SocketAddress source)
        {
        }

        public void OnDatagram(Span<byte> datagram, SocketAddress source)
        {
            if (datagram.Length == 0 || datagram[0] is < 20 or > 63)
            {
                return;
            }
            Interlocked.Increment(ref _datagrams);
            if (_handshake is null)
            {
                _handshake = server.CreateHandshake(sender, source, [fingerprint]);
                _handshake.TryEnqueue(datagram);
                _ = _handshake.RunAsync().ContinueWith(t => _result.TrySetResult(t.Result), TaskScheduler.Default);
                return;
            }
            if (_handshake.Remote.Equals(source))
            {
                _handshake.TryEnqueue(datagram);
            }
        }
    }
}
