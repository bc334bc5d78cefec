using System.Diagnostics;
using System.Net;
using MediaServer.Codecs.Sdp;
using MediaServer.Testing;
using MediaServer.Testing.WebRtc;
using MediaServer.Transport.WebRtc;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Xunit;

namespace MediaServer.Tests.WebRtc;

public sealed class DtlsSrtpHandshakeTests
{
    private static readonly TimeSpan TestLimit = TimeSpan.FromSeconds(30);
    private static readonly SocketAddress ClientAddress = new IPEndPoint(IPAddress.Loopback, 50000).Serialize();
    private static readonly SocketAddress ServerAddress = new IPEndPoint(IPAddress.Loopback, 40000).Serialize();

    // Certificates are slow-ish to make; one pair serves every test (each handshake is independent anyway).
    private static readonly DtlsCertificate ServerCertificate = DtlsCertificate.CreateEphemeral();
    private static readonly DtlsCertificate ClientCertificate = DtlsCertificate.CreateEphemeral();

    [Theory]
    [InlineData(new[] { SrtpProfiles.AeadAes128Gcm, SrtpProfiles.Aes128CmHmacSha1_80 }, SrtpProfiles.AeadAes128Gcm)]
    // AES-GCM when offered, in whatever order the client lists it (RFC 8827 §6.5).
    [InlineData(new[] { SrtpProfiles.Aes128CmHmacSha1_80, SrtpProfiles.AeadAes128Gcm }, SrtpProfiles.AeadAes128Gcm)]
    [InlineData(new[] { 0x0002, SrtpProfiles.Aes128CmHmacSha1_80 }, SrtpProfiles.Aes128CmHmacSha1_80)]
    public async Task Handshake_derives_the_same_srtp_keys_on_both_sides(int[] offered, int expectedProfile)
    {
        var server = new DtlsSrtpServer(ServerCertificate);
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        var client = Loopback.NewClient(offered);

        var serverRun = pair.Server.RunAsync();
        var clientRun = pair.StartClient(client);
        var result = await serverRun.WaitAsync(TestLimit);
        await clientRun.WaitAsync(TestLimit);

        Assert.True(result.Succeeded, result.Reason);
        var keys = result.Keys!;
        Assert.Equal(expectedProfile, keys.Profile);
        Assert.Equal(expectedProfile, client.SelectedProfile);
        Assert.True(client.ServerFingerprintChecked);
        var salt = expectedProfile == SrtpProfiles.AeadAes128Gcm ? 12 : 14;
        Assert.Equal(16, keys.LocalMasterKey.Length);
        Assert.Equal(salt, keys.LocalMasterSalt.Length);
        // RFC 5764 §4.2 crosswise: what the server protects with is what the client unprotects with, and vice versa.
        Assert.Equal(client.Material.ServerKey, keys.LocalMasterKey);
        Assert.Equal(client.Material.ServerSalt, keys.LocalMasterSalt);
        Assert.Equal(client.Material.ClientKey, keys.RemoteMasterKey);
        Assert.Equal(client.Material.ClientSalt, keys.RemoteMasterSalt);
        Assert.NotEqual(keys.LocalMasterKey, keys.RemoteMasterKey);
    }

    [Fact]
    public async Task A_client_certificate_that_matches_no_sdp_fingerprint_fails_with_FingerprintMismatch()
    {
        var server = new DtlsSrtpServer(ServerCertificate);
        var someoneElse = DtlsCertificate.CreateEphemeral();
        using var pair = Loopback.Wire(server, [someoneElse.Fingerprint]);

        var serverRun = pair.Server.RunAsync();
        var clientRun = pair.StartClient(Loopback.NewClient([SrtpProfiles.Aes128CmHmacSha1_80]));
        var result = await serverRun.WaitAsync(TestLimit);

        Assert.Equal(DtlsFailure.FingerprintMismatch, result.Failure);
        Assert.Contains(ClientCertificate.Fingerprint.ToString(), result.Reason, StringComparison.Ordinal);
        Assert.Null(result.Keys);
        // The client hears a fatal alert rather than a completed handshake.
        await Assert.ThrowsAnyAsync<Exception>(() => clientRun.WaitAsync(TestLimit));
    }

    [Fact]
    public async Task A_sha512_fingerprint_in_the_sdp_is_checked_with_sha512()
    {
        var server = new DtlsSrtpServer(ServerCertificate);
        var sha512 = CertificateFingerprint.Compute("sha-512", ClientCertificate.Der)!;
        using var pair = Loopback.Wire(server, [sha512]);

        var serverRun = pair.Server.RunAsync();
        _ = pair.StartClient(Loopback.NewClient([SrtpProfiles.Aes128CmHmacSha1_80]));
        var result = await serverRun.WaitAsync(TestLimit);

        Assert.True(result.Succeeded, result.Reason);
    }

    [Fact]
    public async Task A_client_that_sends_one_ClientHello_and_goes_silent_times_out_within_the_configured_time()
    {
        var timeout = TimeSpan.FromSeconds(1);
        var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions { HandshakeTimeout = timeout });
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        pair.ToServer.Limit = 1;

        var clock = Stopwatch.StartNew();
        var serverRun = pair.Server.RunAsync();
        _ = pair.StartClient(Loopback.NewClient([SrtpProfiles.Aes128CmHmacSha1_80]));
        var result = await serverRun.WaitAsync(TestLimit);
        clock.Stop();

        Assert.Equal(DtlsFailure.Timeout, result.Failure);
        Assert.True(pair.ToClient.Sent >= 1, "the server should have answered the ClientHello");
        Assert.InRange(clock.Elapsed, timeout * 0.9, timeout + TimeSpan.FromSeconds(4));
        await pair.Server.Stopped.WaitAsync(TestLimit);
        Assert.Equal(0, server.ActiveHandshakes);
    }

    [Fact]
    public async Task Garbage_datagrams_end_in_ProtocolError_or_Timeout_and_never_throw()
    {
        var random = new Random(5764);
        for (var round = 0; round < 4; round++)
        {
            var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions { HandshakeTimeout = TimeSpan.FromSeconds(1) });
            using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
            for (var i = 0; i < 20; i++)
            {
                var datagram = new byte[random.Next(1, 300)];
                random.NextBytes(datagram);
                if (i % 2 == 0)
                {
                    // Look like DTLS 1.2 handshake records so the parser goes deeper than the first byte.
                    datagram[0] = 22;
                    if (datagram.Length > 2)
                    {
                        datagram[1] = 0xFE;
                        datagram[2] = 0xFD;
                    }
                }
                pair.Server.TryEnqueue(datagram);
            }

            var result = await pair.Server.RunAsync().WaitAsync(TestLimit);

            Assert.Contains(result.Failure, new[] { DtlsFailure.ProtocolError, DtlsFailure.Timeout });
            Assert.NotNull(result.Reason);
        }
    }

    [Fact]
    public async Task A_client_without_use_srtp_is_a_ProtocolError()
    {
        var server = new DtlsSrtpServer(ServerCertificate);
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);

        var serverRun = pair.Server.RunAsync();
        _ = pair.StartClient(Loopback.NewClient([SrtpProfiles.Aes128CmHmacSha1_80], offerUseSrtp: false));
        var result = await serverRun.WaitAsync(TestLimit);

        Assert.Equal(DtlsFailure.ProtocolError, result.Failure);
        Assert.Contains("use_srtp", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_common_srtp_profile_is_a_ProtocolError()
    {
        var server = new DtlsSrtpServer(ServerCertificate);
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);

        var serverRun = pair.Server.RunAsync();
        _ = pair.StartClient(Loopback.NewClient([SrtpProtectionProfile.SRTP_AES128_CM_HMAC_SHA1_32, SrtpProtectionProfile.SRTP_AEAD_AES_256_GCM]));
        var result = await serverRun.WaitAsync(TestLimit);

        Assert.Equal(DtlsFailure.ProtocolError, result.Failure);
        Assert.Contains("SRTP protection profile", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_handshake_beyond_the_cap_is_refused_at_once_and_a_freed_slot_is_reusable()
    {
        var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions { MaxConcurrentHandshakes = 2, HandshakeTimeout = TimeSpan.FromMinutes(1) });
        using var first = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        using var second = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        using var third = Loopback.Wire(server, [ClientCertificate.Fingerprint]);

        var firstRun = first.Server.RunAsync();
        var secondRun = second.Server.RunAsync();
        var thirdRun = third.Server.RunAsync();

        Assert.True(thirdRun.IsCompleted, "a refusal must not wait");
        Assert.Equal(DtlsFailure.Refused, (await thirdRun).Failure);
        Assert.False(third.Server.TryEnqueue([22, 0xFE, 0xFD]), "a refused handshake reads nothing");
        Assert.Equal(1, server.RefusedHandshakes);
        Assert.Equal(2, server.ActiveHandshakes);

        first.Server.Dispose();
        Assert.Equal(DtlsFailure.Cancelled, (await firstRun.WaitAsync(TestLimit)).Failure);
        using var fourth = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        var fourthRun = fourth.Server.RunAsync();
        _ = fourth.StartClient(Loopback.NewClient([SrtpProfiles.Aes128CmHmacSha1_80]));
        Assert.True((await fourthRun.WaitAsync(TestLimit)).Succeeded);

        second.Server.Dispose();
        Assert.Equal(DtlsFailure.Cancelled, (await secondRun.WaitAsync(TestLimit)).Failure);
    }

    [Fact]
    public async Task Cancelling_the_token_ends_a_waiting_handshake_with_Cancelled()
    {
        var server = new DtlsSrtpServer(ServerCertificate);
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        using var cancellation = new CancellationTokenSource();

        var run = pair.Server.RunAsync(cancellation.Token);
        await cancellation.CancelAsync();
        var result = await run.WaitAsync(TestLimit);

        Assert.Equal(DtlsFailure.Cancelled, result.Failure);
        await pair.Server.Stopped.WaitAsync(TestLimit);
        Assert.Equal(0, server.ActiveHandshakes);
    }

    [Fact]
    public async Task After_success_the_handshake_lingers_until_the_client_sends_close_notify()
    {
        var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions { PostHandshakeLinger = TimeSpan.FromMinutes(5) });
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);

        var serverRun = pair.Server.RunAsync();
        var clientRun = pair.StartClient(Loopback.NewClient([SrtpProfiles.AeadAes128Gcm]));
        Assert.True((await serverRun.WaitAsync(TestLimit)).Succeeded);
        var clientTransport = await clientRun.WaitAsync(TestLimit);
        Assert.False(pair.Server.Stopped.IsCompleted, "a successful handshake keeps reading during the linger");
        Assert.Equal(0, server.ActiveHandshakes);
        Assert.Equal(1, server.LingeringHandshakes);

        clientTransport.Close();
        await pair.Server.Stopped.WaitAsync(TestLimit);

        Assert.True(pair.Server.RemoteClosed);
        Assert.Equal(0, server.LingeringHandshakes);
    }

    [Fact]
    public async Task A_lingering_handshake_holds_no_slot_and_lingers_beyond_the_cap_are_skipped()
    {
        // One slot, one linger: a burst of joins must be limited by the handshakes' own time, not by finished ones that wait.
        var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions
        {
            MaxConcurrentHandshakes = 1,
            MaxLingering = 1,
            PostHandshakeLinger = TimeSpan.FromMinutes(5),
        });
        using var first = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        using var second = Loopback.Wire(server, [ClientCertificate.Fingerprint]);

        var firstRun = first.Server.RunAsync();
        _ = first.StartClient(Loopback.NewClient([SrtpProfiles.AeadAes128Gcm]));
        Assert.True((await firstRun.WaitAsync(TestLimit)).Succeeded);
        await Poll.UntilAsync(() => server.LingeringHandshakes == 1 && server.ActiveHandshakes == 0, TestLimit, "the first handshake lingering");

        // The slot is free although the first still reads its records; the second succeeds, finds the one linger taken and stops.
        var secondRun = second.Server.RunAsync();
        _ = second.StartClient(Loopback.NewClient([SrtpProfiles.AeadAes128Gcm]));
        Assert.True((await secondRun.WaitAsync(TestLimit)).Succeeded);
        await second.Server.Stopped.WaitAsync(TestLimit);

        Assert.Equal(0, server.RefusedHandshakes);
        Assert.Equal(1, server.LingersSkipped);
        Assert.False(first.Server.Stopped.IsCompleted, "the first handshake's linger goes on");
        first.Server.Dispose();
        await first.Server.Stopped.WaitAsync(TestLimit);
        Assert.Equal(0, server.LingeringHandshakes);
        Assert.Equal(0, server.ActiveHandshakes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Close_notify_from_the_server_ends_the_clients_association(bool lingering)
    {
        var linger = lingering ? TimeSpan.FromMinutes(5) : TimeSpan.Zero;
        var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions { PostHandshakeLinger = linger });
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        var serverRun = pair.Server.RunAsync();
        var clientRun = pair.StartClient(Loopback.NewClient([SrtpProfiles.AeadAes128Gcm]));
        Assert.True((await serverRun.WaitAsync(TestLimit)).Succeeded);
        var clientTransport = await clientRun.WaitAsync(TestLimit);
        if (!lingering)
        {
            await pair.Server.Stopped.WaitAsync(TestLimit);
        }

        var buffer = new byte[2048];
        // Control: with nothing sent, a short receive simply times out (-1) and the association stays up.
        Assert.Equal(-1, await Task.Run(() => clientTransport.Receive(buffer, 0, buffer.Length, 200)).WaitAsync(TestLimit));

        pair.Server.SendCloseNotify();

        // On close_notify the client's record layer closes its transport: the pending receive ends at once, long before its
        // 10 s wait, with the transport closed under it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var closed = await Task.Run(() =>
        {
            try
            {
                clientTransport.Receive(buffer, 0, buffer.Length, 10_000);
                return false;
            }
            catch (Exception e) when (e is ObjectDisposedException || e.InnerException is ObjectDisposedException)
            {
                // BouncyCastle reports its own transport closed under the receive (wrapped in an internal_error alert).
                return true;
            }
        }).WaitAsync(TestLimit);
        Assert.True(closed, "the client's association did not close");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"closing took {clock.Elapsed}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_lost_final_flight_is_resent_only_while_the_handshake_lingers(bool linger)
    {
        var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions
        {
            PostHandshakeLinger = linger ? TimeSpan.FromSeconds(30) : TimeSpan.Zero,
        });
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);
        // Everything the server sends after the client's first ChangeCipherSpec is its final flight (CCS, Finished): lose that
        // flight once, until the client retransmits its own (RFC 6347 §4.2.4).
        var clientChangeCipherSpecs = 0;
        pair.WatchToServer = datagram =>
        {
            if (ContainsRecordOfType(datagram, 20))
            {
                Interlocked.Increment(ref clientChangeCipherSpecs);
            }
        };
        pair.DropToClient = _ => Volatile.Read(ref clientChangeCipherSpecs) == 1;

        var serverRun = pair.Server.RunAsync();
        var clientRun = pair.StartClient(Loopback.NewClient([SrtpProfiles.Aes128CmHmacSha1_80]));
        Assert.True((await serverRun.WaitAsync(TestLimit)).Succeeded);

        if (linger)
        {
            await clientRun.WaitAsync(TestLimit);
            Assert.True(clientChangeCipherSpecs >= 2, "the client should have retransmitted its flight");
        }
        else
        {
            await Assert.ThrowsAnyAsync<Exception>(() => clientRun.WaitAsync(TestLimit));
        }
    }

    // RFC 6347 §4.1: records are 13-byte headers (type, version, epoch, sequence number, length) and their fragments.
    private static bool ContainsRecordOfType(byte[] datagram, byte type)
    {
        var at = 0;
        while (at + 13 <= datagram.Length)
        {
            if (datagram[at] == type)
            {
                return true;
            }
            at += 13 + (datagram[at + 11] << 8 | datagram[at + 12]);
        }
        return false;
    }

    [Fact]
    public void A_full_queue_drops_and_counts()
    {
        var server = new DtlsSrtpServer(ServerCertificate, new DtlsOptions { ReceiveQueueCapacity = 3 });
        using var pair = Loopback.Wire(server, [ClientCertificate.Fingerprint]);

        var accepted = 0;
        for (var i = 0; i < 5; i++)
        {
            accepted += pair.Server.TryEnqueue([22, 0xFE, 0xFD, (byte)i]) ? 1 : 0;
        }
        var tooLong = pair.Server.TryEnqueue(new byte[server.Options.ReceiveLimit + 1]);

        Assert.Equal(3, accepted);
        Assert.False(tooLong);
        Assert.Equal(3, pair.Server.DroppedDatagrams);
    }

    /// <summary>Our server and a BC test client joined by in-memory queues, as the shared port would join them.</summary>
    private sealed class Loopback : IDisposable
    {
        private readonly QueuedDatagramTransport _clientTransport;

        private Loopback(DtlsSrtpHandshake server, QueuedDatagramTransport clientTransport, CallbackSender toClient, CallbackSender toServer)
        {
            Server = server;
            _clientTransport = clientTransport;
            ToClient = toClient;
            ToServer = toServer;
        }

        public DtlsSrtpHandshake Server { get; }

        public CallbackSender ToClient { get; }

        public CallbackSender ToServer { get; }

        /// <summary>Consulted for each server-to-client datagram; true drops it (a lossy path).</summary>
        public Func<byte[], bool>? DropToClient { get; set; }

        /// <summary>Sees each client-to-server datagram before the server does.</summary>
        public Action<byte[]>? WatchToServer { get; set; }

        public static Loopback Wire(DtlsSrtpServer server, IReadOnlyList<SdpFingerprint> clientFingerprints)
        {
            QueuedDatagramTransport? client = null;
            Loopback? pair = null;
            var toClient = new CallbackSender(datagram => pair!.DropToClient?.Invoke(datagram) == true || client!.TryEnqueue(datagram));
            var handshake = server.CreateHandshake(toClient, ClientAddress, clientFingerprints);
            var toServer = new CallbackSender(datagram =>
            {
                pair!.WatchToServer?.Invoke(datagram);
                return handshake.TryEnqueue(datagram);
            });
            client = new QueuedDatagramTransport(toServer, ServerAddress, capacity: 64, receiveLimit: 2048, sendLimit: 1200);
            pair = new Loopback(handshake, client, toClient, toServer);
            return pair;
        }

        public static DtlsTestClient NewClient(int[] profiles, bool offerUseSrtp = true) =>
            new(new BcTlsCrypto(new SecureRandom()), ClientCertificate, ServerCertificate.Fingerprint, profiles, offerUseSrtp);

        public Task<DtlsTransport> StartClient(DtlsTestClient client) =>
            Task.Factory.StartNew(
                () => new DtlsClientProtocol().Connect(client, _clientTransport),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);

        public void Dispose()
        {
            Server.Dispose();
            _clientTransport.Close();
        }
    }
}
