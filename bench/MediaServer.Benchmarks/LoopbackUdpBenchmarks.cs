using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using MediaServer.Transport;

namespace MediaServer.Benchmarks;

/// <summary>
/// What the kernel charges per relayed copy, for comparison with the relay's own work: one 1200-byte datagram through
/// <see cref="UdpDatagramSender"/> (the server's real sender, SocketAddress overload) to a socket on 127.0.0.1, and the
/// synchronous receive that drains it. Also shows whether the SocketAddress-based socket calls allocate.
/// </summary>
[MemoryDiagnoser]
public class LoopbackUdpBenchmarks : IDisposable
{
    private readonly byte[] _datagram = new byte[1200];
    private readonly byte[] _receiveBuffer = new byte[2048];
    private Socket? _from;
    private Socket? _to;
    private UdpDatagramSender _sender = null!;
    private SocketAddress _destination = null!;
    private SocketAddress _received = null!;

    [GlobalSetup]
    public void Setup()
    {
        _from = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _from.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _to = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 1 << 20 };
        _to.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _sender = new UdpDatagramSender(_from);
        _destination = _to.LocalEndPoint!.Serialize();
        _received = new SocketAddress(AddressFamily.InterNetwork);
        new Random(1).NextBytes(_datagram);
        if (SendAndReceive() != _datagram.Length)
        {
            throw new InvalidOperationException("The loopback datagram did not arrive whole.");
        }
    }

    [Benchmark]
    public int SendAndReceive()
    {
        if (!_sender.TrySend(_datagram, _destination))
        {
            return -1;
        }
        return _to!.ReceiveFrom(_receiveBuffer, SocketFlags.None, _received);
    }

    [GlobalCleanup]
    public void Cleanup() => Dispose();

    public void Dispose()
    {
        _from?.Dispose();
        _to?.Dispose();
        _from = null;
        _to = null;
        GC.SuppressFinalize(this);
    }
}
