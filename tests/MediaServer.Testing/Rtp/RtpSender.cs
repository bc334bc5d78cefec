using System.Net;
using System.Net.Sockets;

namespace MediaServer.Testing.Rtp;

/// <summary>
/// Sends RTP from one fixed local port to one server port, paced like a live source, and can also send raw datagrams
/// (truncated or garbage) from that same address.
/// </summary>
public sealed class RtpSender : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly bool _ownsSocket;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private ushort _sequence;
    private uint _timestamp;
    private long _sent;
    private Task? _pacing;

    /// <param name="localAddress">The address to send from (default loopback 127.0.0.1); e.g. 127.0.0.2 to play another host.</param>
    public RtpSender(IPEndPoint target, uint ssrc, byte payloadType, int localPort, int seed, IPAddress? localAddress = null)
        : this(target, ssrc, payloadType, seed, Bound(localAddress ?? IPAddress.Loopback, localPort), ownsSocket: true)
    {
    }

    /// <summary>
    /// A sender on a socket that also receives (a symmetric client, RFC 4961: it sends from the port it receives on); the socket
    /// stays its owner's.
    /// </summary>
    public RtpSender(IPEndPoint target, uint ssrc, byte payloadType, Socket socket, int seed)
        : this(target, ssrc, payloadType, seed, socket, ownsSocket: false)
    {
    }

    private RtpSender(IPEndPoint target, uint ssrc, byte payloadType, int seed, Socket socket, bool ownsSocket)
    {
        Target = target;
        Ssrc = ssrc;
        PayloadType = payloadType;
        var random = new Random(seed);
        // RFC 3550 §5.1: sequence number and timestamp start at random values.
        _sequence = (ushort)random.Next(0, ushort.MaxValue);
        _timestamp = (uint)random.Next();
        _socket = socket;
        _ownsSocket = ownsSocket;
    }

    private static Socket Bound(IPAddress address, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    public IPEndPoint Target { get; }

    public uint Ssrc { get; }

    public byte PayloadType { get; }

    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public long PacketsSent => Interlocked.Read(ref _sent);

    /// <summary>Sends one RTP packet with the next sequence number, then advances the timestamp.</summary>
    public void Send(ReadOnlySpan<byte> payload, bool marker, uint timestampStep)
    {
        Span<byte> packet = stackalloc byte[RtpHeader.Size + payload.Length];
        lock (_gate)
        {
            new RtpHeader(PayloadType, marker, _sequence++, _timestamp, Ssrc).WriteTo(packet);
            _timestamp += timestampStep;
        }

        payload.CopyTo(packet[RtpHeader.Size..]);
        _socket.SendTo(packet, Target);
        Interlocked.Increment(ref _sent);
    }

    /// <summary>Sends bytes as they are, from this sender's address, to its target (or another port).</summary>
    public void SendRaw(ReadOnlySpan<byte> datagram, IPEndPoint? to = null) => _socket.SendTo(datagram, to ?? Target);

    /// <summary>Starts a background loop sending <paramref name="packetsPerSecond"/> packets a second until stopped.</summary>
    public void StartPacing(int packetsPerSecond, Func<long, byte[]> payloadFor, uint timestampStep)
    {
        if (_pacing is not null)
        {
            throw new InvalidOperationException("Already pacing");
        }

        var token = _stop.Token;
        _pacing = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / packetsPerSecond));
            long n = 0;
            try
            {
                do
                {
                    Send(payloadFor(n), marker: true, timestampStep);
                    n++;
                }
                while (await timer.WaitForNextTickAsync(token));
            }
            catch (OperationCanceledException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        });
    }

    public async Task StopPacingAsync()
    {
        await _stop.CancelAsync();
        if (_pacing is not null)
        {
            await _pacing;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopPacingAsync();
        if (_ownsSocket)
        {
            _socket.Dispose();
        }
        _stop.Dispose();
    }

    /// <summary>
    /// A plausible VP8 key-frame payload (RFC 7741 §4.2 descriptor with S=1, then a frame tag and start code per
    /// RFC 6386 §9.1) followed by filler, so a relay that peeks at the codec sees valid VP8.
    /// </summary>
    public static byte[] Vp8Payload(long index, int width = 320, int height = 240, int size = 400, byte fill = 0x5A)
    {
        var payload = new byte[size];
        payload[0] = 0x10; // X=0, N=0, S=1, PID=0
        var firstPartitionSize = size - 11;
        // Frame tag: bit 0 key frame (0), bits 1-3 version 0, bit 4 show_frame, bits 5-23 first partition size.
        var tag = 0 | (1 << 4) | (firstPartitionSize << 5);
        payload[1] = (byte)tag;
        payload[2] = (byte)(tag >> 8);
        payload[3] = (byte)(tag >> 16);
        payload[4] = 0x9D;
        payload[5] = 0x01;
        payload[6] = 0x2A;
        payload[7] = (byte)width;
        payload[8] = (byte)(width >> 8);
        payload[9] = (byte)height;
        payload[10] = (byte)(height >> 8);
        payload.AsSpan(11).Fill(fill);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(11), index);
        return payload;
    }

    /// <summary>An Opus packet (RFC 6716 §3.1 TOC byte: config 31 CELT FB 20 ms, mono, code 0) with filler.</summary>
    public static byte[] OpusPayload(long index, byte fill = 0x33)
    {
        var payload = new byte[80];
        payload[0] = 31 << 3;
        payload.AsSpan(1).Fill(fill);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(1), index);
        return payload;
    }
}
