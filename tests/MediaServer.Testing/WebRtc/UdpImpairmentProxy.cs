using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace MediaServer.Testing.WebRtc;

/// <summary>
/// A UDP relay between one WebRTC party and the server's shared port, standing in for a lossy network (the kernel here has no
/// netem). The party talks to <see cref="Port"/>; each of its source addresses gets its own upstream socket, so the server sees
/// one stable 5-tuple per party candidate and the proxy forwards both ways. Only server→party SRTP media is ever dropped
/// (RFC 7983 §7: first byte 128–191 and not an RTCP packet type, RFC 5761 §4): STUN, DTLS and SRTCP always pass, so ICE and
/// the handshake are untouched and NACKs and reports get through. Whether a packet is dropped comes from one seeded
/// <see cref="Random"/>, so a run can be repeated. For hostile tests it can also replay or forge party→server SRTP.
/// </summary>
public sealed partial class UdpImpairmentProxy : IAsyncDisposable
{
    private readonly Socket _front;
    private readonly IPEndPoint _server;
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private readonly ConcurrentDictionary<IPEndPoint, Upstream> _upstreams = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _frontLoop;
    private readonly List<Task> _loops = [];
    private readonly Lock _loopsGate = new();
    private double _lossRate;
    private bool _cut;
    private long _firstThroughAfterCut = 1;
    private int _forgeNext;
    private int _replayNext;
    private long _mediaToParty;
    private long _droppedToParty;
    private long _forged;
    private long _replayed;
    // When each party→server SRTP media packet was relayed (UTC ticks), the last PartyMediaCapacity of them: written by the
    // one front loop, read by a test after the fact to tell a silence of the party from a loss at the server.
    private readonly long[] _partyMedia = new long[PartyMediaCapacity];
    private long _partyMediaCount;
    private const int PartyMediaCapacity = 1 << 15;

    public UdpImpairmentProxy(int serverPort, int seed)
    {
        _server = new IPEndPoint(IPAddress.Loopback, serverPort);
        _random = new Random(seed);
        Seed = seed;
        _front = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _front.ReceiveBufferSize = 4 << 20; // a stall of this process must not lose what the party sent (the kernel may cap it)
        _front.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_front.LocalEndPoint!).Port;
        _frontLoop = Task.Run(FromPartyAsync);
    }

    /// <summary>The port the party is told to use (its answer's candidate, see <see cref="RewriteAnswer"/>).</summary>
    public int Port { get; }

    public int Seed { get; }

    /// <summary>The share of server→party SRTP media packets dropped from now on (0 to 1).</summary>
    public double LossRate
    {
        get => Volatile.Read(ref _lossRate);
        set => Volatile.Write(ref _lossRate, value);
    }

    /// <summary>
    /// Whether every datagram is dropped, both ways (STUN, DTLS, SRTP, SRTCP): a network cut. Clearing it lets them through
    /// again; <see cref="FirstThroughAfterCut"/> is then the Stopwatch timestamp of the first datagram relayed after it.
    /// </summary>
    public bool Cut
    {
        get => Volatile.Read(ref _cut);
        set
        {
            if (!value)
            {
                Interlocked.Exchange(ref _firstThroughAfterCut, 0);
            }
            Volatile.Write(ref _cut, value);
        }
    }

    /// <summary>The Stopwatch timestamp of the first datagram relayed (either way) after <see cref="Cut"/> was cleared; 0 before.</summary>
    public long FirstThroughAfterCut => Interlocked.Read(ref _firstThroughAfterCut);

    private bool Passes()
    {
        if (Volatile.Read(ref _cut))
        {
            return false;
        }
        Interlocked.CompareExchange(ref _firstThroughAfterCut, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
        return true;
    }

    /// <summary>Server→party SRTP media packets seen (dropped or not).</summary>
    public long MediaToParty => Interlocked.Read(ref _mediaToParty);

    public long DroppedToParty => Interlocked.Read(ref _droppedToParty);

    /// <summary>
    /// The longest time within [<paramref name="from"/>, <paramref name="to"/>] in which no party→server SRTP media was relayed
    /// (either end of the window counts as a packet): how long the party itself was silent there, as far as the server could see.
    /// </summary>
    public TimeSpan LongestPartySilence(DateTimeOffset from, DateTimeOffset to)
    {
        var count = Interlocked.Read(ref _partyMediaCount);
        var previous = from.UtcTicks;
        long longest = 0;
        for (var i = Math.Max(0, count - PartyMediaCapacity); i < count; i++)
        {
            var at = _partyMedia[i % PartyMediaCapacity];
            if (at <= from.UtcTicks)
            {
                continue;
            }
            if (at >= to.UtcTicks)
            {
                break;
            }
            longest = Math.Max(longest, at - previous);
            previous = at;
        }
        return TimeSpan.FromTicks(Math.Max(longest, to.UtcTicks - previous));
    }

    /// <summary>Forged copies sent to the server so far.</summary>
    public long Forged => Interlocked.Read(ref _forged);

    /// <summary>Replayed copies sent to the server so far.</summary>
    public long Replayed => Interlocked.Read(ref _replayed);

    /// <summary>
    /// For each of the next <paramref name="count"/> party→server SRTP media packets: first send a copy with flipped payload
    /// and tag bytes (its index is new to the server, so it fails authentication, RFC 3711 §3.3), then the real packet.
    /// </summary>
    public void ForgeNext(int count) => Interlocked.Add(ref _forgeNext, count);

    /// <summary>For each of the next <paramref name="count"/> party→server SRTP media packets: forward it, then send it again.</summary>
    public void ReplayNext(int count) => Interlocked.Add(ref _replayNext, count);

    /// <summary>
    /// Points the server's answer at the proxy: the host candidate's port and the m-lines' ports (the page applies this text,
    /// so the browser's ICE checks, DTLS and media all come here).
    /// </summary>
    public string RewriteAnswer(string answer)
    {
        LastAnswer = answer;
        var serverPort = _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var proxyPort = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var rewritten = CandidatePort().Replace(answer, m => m.Groups[2].Value == serverPort ? m.Groups[1].Value + proxyPort + m.Groups[3].Value : m.Value);
        rewritten = MediaPort().Replace(rewritten, m => m.Groups[2].Value == serverPort ? m.Groups[1].Value + proxyPort + m.Groups[3].Value : m.Value);
        if (!rewritten.Contains($" {proxyPort} typ host", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The answer has no host candidate on the server's WebRTC port to rewrite:\n" + answer);
        }
        return rewritten;
    }

    /// <summary>The last answer the server gave the party (before the rewrite).</summary>
    public string? LastAnswer { get; private set; }

    [GeneratedRegex(@"(a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 )(\d+)( typ host)", RegexOptions.IgnoreCase)]
    private static partial Regex CandidatePort();

    [GeneratedRegex(@"(?m)^(m=\w+ )(\d+)( )")]
    private static partial Regex MediaPort();

    private static bool IsSrtpMedia(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 12 && datagram[0] is >= 128 and <= 191 && datagram[1] is not (>= 192 and <= 223);

    private async Task FromPartyAsync()
    {
        var buffer = new byte[2048];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _front.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // ICMP port unreachable from an earlier send, reported on this socket: keep relaying.
            }
            var party = (IPEndPoint)received.RemoteEndPoint;
            var upstream = _upstreams.GetOrAdd(party, StartUpstream);
            var datagram = buffer.AsMemory(0, received.ReceivedBytes);
            if (!Passes())
            {
                continue;
            }
            if (IsSrtpMedia(datagram.Span) && TryTake(ref _forgeNext))
            {
                var forged = datagram.ToArray();
                // Payload and authentication tag (the last 10 bytes for AES_CM_128_HMAC_SHA1_80, 16 for GCM) both change.
                for (var i = forged.Length - 4; i < forged.Length; i++)
                {
                    forged[i] ^= 0x5A;
                }
                forged[12] ^= 0xFF;
                await SendAsync(upstream.Socket, forged, _server);
                Interlocked.Increment(ref _forged);
            }
            await SendAsync(upstream.Socket, datagram, _server);
            if (IsSrtpMedia(datagram.Span))
            {
                var n = Interlocked.Read(ref _partyMediaCount);
                _partyMedia[n % PartyMediaCapacity] = DateTime.UtcNow.Ticks;
                Interlocked.Exchange(ref _partyMediaCount, n + 1);
            }
            if (IsSrtpMedia(datagram.Span) && TryTake(ref _replayNext))
            {
                await SendAsync(upstream.Socket, datagram, _server);
                Interlocked.Increment(ref _replayed);
            }
        }
    }

    private static bool TryTake(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current)
            {
                return true;
            }
        }
    }

    private Upstream StartUpstream(IPEndPoint party)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var upstream = new Upstream(party, socket);
        lock (_loopsGate)
        {
            _loops.Add(Task.Run(() => FromServerAsync(upstream)));
        }
        return upstream;
    }

    private async Task FromServerAsync(Upstream upstream)
    {
        var buffer = new byte[2048];
        var any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await upstream.Socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            var datagram = buffer.AsMemory(0, received.ReceivedBytes);
            if (!Passes())
            {
                continue;
            }
            if (IsSrtpMedia(datagram.Span))
            {
                Interlocked.Increment(ref _mediaToParty);
                bool drop;
                lock (_randomGate)
                {
                    drop = _random.NextDouble() < LossRate;
                }
                if (drop)
                {
                    Interlocked.Increment(ref _droppedToParty);
                    continue;
                }
            }
            await SendAsync(_front, datagram, upstream.Party);
        }
    }

    private async Task SendAsync(Socket socket, ReadOnlyMemory<byte> datagram, IPEndPoint to)
    {
        try
        {
            await socket.SendToAsync(datagram, SocketFlags.None, to, _stop.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A lost datagram is what UDP does anyway.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _front.Dispose();
        foreach (var upstream in _upstreams.Values)
        {
            upstream.Socket.Dispose();
        }
        Task[] loops;
        lock (_loopsGate)
        {
            loops = [.. _loops, _frontLoop];
        }
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }

    private sealed record Upstream(IPEndPoint Party, Socket Socket);
}
