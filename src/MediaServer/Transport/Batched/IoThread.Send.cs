using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MediaServer.Transport.Batched;

/// <summary>
/// The send side of an I/O thread: what the handlers send during a round is copied into preallocated native slots with its
/// sending socket and destination, and <see cref="Flush"/> (at the end of the round, or when the slots run out) hands each
/// socket's datagrams to one sendmmsg(2). No lock is held across the call. A datagram the kernel refuses (EAGAIN or ENOBUFS
/// with a full send buffer, a bad destination) is counted in <see cref="SendDrops"/> and skipped; one that only carried the
/// ECONNREFUSED of an earlier datagram's ICMP error is sent again.
/// </summary>
internal sealed unsafe partial class IoThread
{
    /// <summary>Datagrams queued per round before an early flush.</summary>
    public const int SendSlots = 256;

    private MultiMessageHeader* _sendMessages;
    private IoVector* _sendVectors;
    private byte* _sendBuffers;
    private byte* _sendNames;
    private int* _sendLengths;
    private int* _sendNameLengths;
    private SafeSocketHandle?[] _sendSockets = null!;
    private bool[] _sendDone = null!;
    private int _queued;

    public long Sent;
    public long SendCalls;
    public long SendDrops;

    private void InitializeSend()
    {
        _sendMessages = (MultiMessageHeader*)NativeMemory.AllocZeroed((nuint)(SendSlots * sizeof(MultiMessageHeader)));
        _sendVectors = (IoVector*)NativeMemory.AllocZeroed((nuint)(SendSlots * sizeof(IoVector)));
        _sendBuffers = (byte*)NativeMemory.AlignedAlloc((nuint)(SendSlots * DatagramReceiveLoop.BufferSize), 64);
        _sendNames = (byte*)NativeMemory.AllocZeroed((nuint)(SendSlots * NameSize));
        _sendLengths = (int*)NativeMemory.AllocZeroed((nuint)(SendSlots * sizeof(int)));
        _sendNameLengths = (int*)NativeMemory.AllocZeroed((nuint)(SendSlots * sizeof(int)));
        _sendSockets = new SafeSocketHandle?[SendSlots];
        _sendDone = new bool[SendSlots];
        for (var i = 0; i < SendSlots; i++)
        {
            _sendMessages[i].Header.Vectors = _sendVectors + i;
            _sendMessages[i].Header.VectorCount = 1;
        }
    }

    private void FreeSend()
    {
        NativeMemory.Free(_sendMessages);
        NativeMemory.Free(_sendVectors);
        NativeMemory.AlignedFree(_sendBuffers);
        NativeMemory.Free(_sendNames);
        NativeMemory.Free(_sendLengths);
        NativeMemory.Free(_sendNameLengths);
    }

    /// <summary>
    /// Queues a datagram to leave from <paramref name="socket"/> at the end of this round. False (the caller sends it at once)
    /// when it is longer than a slot or the destination longer than a sockaddr.
    /// </summary>
    public bool TryQueue(SafeSocketHandle socket, ReadOnlySpan<byte> datagram, SocketAddress destination)
    {
        if (datagram.Length > DatagramReceiveLoop.BufferSize || destination.Size > NameSize)
        {
            return false;
        }
        if (_queued == SendSlots)
        {
            Flush();
        }
        var slot = _queued++;
        datagram.CopyTo(new Span<byte>(_sendBuffers + (slot * DatagramReceiveLoop.BufferSize), DatagramReceiveLoop.BufferSize));
        destination.Buffer.Span[..destination.Size].CopyTo(new Span<byte>(_sendNames + (slot * NameSize), NameSize));
        _sendLengths[slot] = datagram.Length;
        _sendNameLengths[slot] = destination.Size;
        _sendSockets[slot] = socket;
        _sendDone[slot] = false;
        return true;
    }

    /// <summary>Sends everything queued: per socket, in queue order, one sendmmsg for all of that socket's datagrams.</summary>
    internal void Flush()
    {
        var queued = _queued;
        for (var first = 0; first < queued; first++)
        {
            if (_sendDone[first])
            {
                continue;
            }
            var socket = _sendSockets[first]!;
            var count = 0;
            for (var i = first; i < queued; i++)
            {
                if (_sendDone[i] || !ReferenceEquals(_sendSockets[i], socket))
                {
                    continue;
                }
                _sendDone[i] = true;
                ref var message = ref _sendMessages[count];
                message.Header.Vectors->Base = _sendBuffers + (i * DatagramReceiveLoop.BufferSize);
                message.Header.Vectors->Length = (nuint)_sendLengths[i];
                message.Header.Name = _sendNames + (i * NameSize);
                message.Header.NameLength = (uint)_sendNameLengths[i];
                message.Header.Flags = 0;
                count++;
            }
            SendAll(socket, count);
        }
        Array.Clear(_sendSockets, 0, queued); // Closed legs' sockets are not kept alive by a stale slot.
        _queued = 0;
    }

    private void SendAll(SafeSocketHandle socket, int count)
    {
        var added = false;
        try
        {
            socket.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            SendDrops += count; // The leg closed during the round: what it sent has nowhere to go from.
            return;
        }
        try
        {
            var fd = socket.DangerousGetHandle();
            var done = 0;
            var retried = false;
            while (done < count)
            {
                var sent = LinuxSockets.SendMessages(fd, _sendMessages + done, (uint)(count - done), LinuxSockets.MsgDontWait);
                SendCalls++;
                if (sent > 0)
                {
                    done += sent;
                    Sent += sent;
                    retried = false;
                    continue;
                }
                var error = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
                if (error == LinuxSockets.EIntr)
                {
                    continue;
                }
                if (error is LinuxSockets.EAgain or LinuxSockets.ENoBufs or LinuxSockets.EBadF or LinuxSockets.ENotSock)
                {
                    SendDrops += count - done; // The send buffer is full (or the socket gone): the rest of this socket's batch is dropped.
                    return;
                }
                if (error == LinuxSockets.EConnRefused && !retried)
                {
                    // An ICMP port-unreachable for an earlier datagram (to a client that went away) is reported once, on the next
                    // send, which it fails unsent: this datagram is innocent, so it is tried once more (RFC 1122 §4.1.3.3).
                    retried = true;
                    continue;
                }
                // The datagram failed on its own (a bad destination, or refused twice): skip it.
                SendDrops++;
                done++;
                retried = false;
            }
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }
    }
}
