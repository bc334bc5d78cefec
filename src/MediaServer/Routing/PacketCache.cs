using MediaServer.Codecs.Rtp;

namespace MediaServer.Routing;

/// <summary>
/// The last packets of one video track, kept so that a receiver's NACK (RFC 4585 §6.2.1) is answered by the server itself,
/// without asking the sender. A fixed ring of pre-allocated slots indexed by sequence number: storing copies the packet once
/// (before the relay rewrites its header in place), reading copies it out. The writer is the track's receive loop and readers
/// are receivers' RTCP loops, so each slot carries its sequence number and a version that a reader checks after copying, and a
/// packet overwritten meanwhile is reported as missing rather than sent torn.
/// </summary>
public sealed class PacketCache
{
    public const int SlotSize = 1500;

    /// <summary>The capacity tracks use: 512 packets is about four seconds of 1.2 Mb/s video.</summary>
    public const int DefaultCapacity = 512;
    private readonly byte[] _buffer;
    private readonly int[] _lengths;
    private readonly int[] _sequences;
    private readonly int[] _versions;
    private readonly int _mask;

    /// <param name="capacity">A power of two.</param>
    public PacketCache(int capacity = DefaultCapacity)
    {
        if (capacity <= 0 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentException("Capacity must be a power of two.", nameof(capacity));
        }
        _buffer = GC.AllocateUninitializedArray<byte>(capacity * SlotSize);
        _lengths = new int[capacity];
        _sequences = new int[capacity];
        _versions = new int[capacity];
        Array.Fill(_sequences, -1);
        _mask = capacity - 1;
    }

    public int Capacity => _mask + 1;

    /// <summary>Keeps a copy of an RTP packet as it arrived. Packets larger than a slot are not kept.</summary>
    public void Store(ReadOnlySpan<byte> packet, ushort sequenceNumber)
    {
        if (packet.Length > SlotSize)
        {
            return;
        }
        var index = sequenceNumber & _mask;
        Interlocked.Increment(ref _versions[index]); // odd: being written
        Volatile.Write(ref _sequences[index], -1);
        packet.CopyTo(_buffer.AsSpan(index * SlotSize, SlotSize));
        _lengths[index] = packet.Length;
        Volatile.Write(ref _sequences[index], sequenceNumber);
        Interlocked.Increment(ref _versions[index]); // even: stable
    }

    /// <summary>Copies the packet with this sequence number (and SSRC) into <paramref name="destination"/>; 0 when it is gone.</summary>
    public int TryCopy(ushort sequenceNumber, uint ssrc, Span<byte> destination)
    {
        var index = sequenceNumber & _mask;
        var version = Volatile.Read(ref _versions[index]);
        if ((version & 1) != 0 || Volatile.Read(ref _sequences[index]) != sequenceNumber)
        {
            return 0;
        }
        var length = _lengths[index];
        if (length > destination.Length)
        {
            return 0;
        }
        _buffer.AsSpan(index * SlotSize, length).CopyTo(destination);
        if (Volatile.Read(ref _versions[index]) != version || RtpHeader.GetSsrc(destination) != ssrc)
        {
            return 0;
        }
        return length;
    }
}
