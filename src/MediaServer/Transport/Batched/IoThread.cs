using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport.Batched;

/// <summary>
/// One long-lived I/O thread of <see cref="BatchedDatagramIo"/>: it owns an epoll set of sockets, receives each ready socket's
/// datagrams with one recvmmsg(2) into preallocated native buffers (never moved by the GC), runs the socket's handler inline
/// for each, and sends what the handlers sent during the round with sendmmsg(2), one call per sending socket (IoThread.Send.cs).
/// An eventfd wakes it for stopping. Errors are counted; none ends the thread but stopping.
/// </summary>
internal sealed unsafe partial class IoThread : IDisposable
{
    /// <summary>Datagrams taken from one socket per recvmmsg call.</summary>
    public const int ReceiveBatch = 32;

    /// <summary>Bytes reserved per source address (struct sockaddr_storage).</summary>
    internal const int NameSize = 128;

    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;
    private const int SlotSize = DatagramReceiveLoop.BufferSize + 1;

    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly int _epoll;
    private readonly int _wake;
    private readonly byte* _events;
    private readonly MultiMessageHeader* _receiveMessages;
    private readonly IoVector* _receiveVectors;
    private readonly byte* _receiveBuffers;
    private readonly byte* _receiveNames;
    // One reused source address per length the kernel reports: SocketAddress.Equals compares whole buffers, so the handler's
    // address must be exactly as long as the one a receive loop would have handed it (sockaddr_in 16, sockaddr_in6 28 bytes).
    private readonly SocketAddress _sourceV4 = new(AddressFamily.InterNetwork, 16);
    private readonly SocketAddress _sourceV6 = new(AddressFamily.InterNetworkV6, 28);
    private readonly SocketAddress _sourceOther = new(AddressFamily.Unspecified, NameSize);
    private readonly Lock _registrationLock = new();
    private IoRegistration?[] _registrations = new IoRegistration?[64];
    private int _registered;
    private readonly TimeSpec _pause;
    private volatile bool _stopping;
    private bool _fullBatch;

    [ThreadStatic]
    private static IoThread? t_current;

    public IoThread(int index, ILogger logger, TimeSpan coalesce)
    {
        _logger = logger;
        _pause = new TimeSpec { Seconds = (long)coalesce.TotalSeconds, Nanoseconds = coalesce.Ticks % TimeSpan.TicksPerSecond * 100 };
        _epoll = LinuxSockets.EpollCreate(LinuxSockets.EpollCloExec);
        _wake = LinuxSockets.EventFd(0, LinuxSockets.EfdCloExec | LinuxSockets.EfdNonBlock);
        if (_epoll < 0 || _wake < 0)
        {
            throw new InvalidOperationException($"epoll_create1/eventfd failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        _events = (byte*)NativeMemory.AllocZeroed((nuint)(MaxEvents * LinuxSockets.EpollEventSize));
        var wakeEvent = stackalloc byte[16];
        LinuxSockets.WriteEpollEvent(wakeEvent, LinuxSockets.EpollIn, WakeToken);
        LinuxSockets.EpollControl(_epoll, LinuxSockets.EpollCtlAdd, _wake, wakeEvent);

        _receiveMessages = (MultiMessageHeader*)NativeMemory.AllocZeroed((nuint)(ReceiveBatch * sizeof(MultiMessageHeader)));
        _receiveVectors = (IoVector*)NativeMemory.AllocZeroed((nuint)(ReceiveBatch * sizeof(IoVector)));
        _receiveBuffers = (byte*)NativeMemory.AlignedAlloc((nuint)(ReceiveBatch * SlotSize), 64);
        _receiveNames = (byte*)NativeMemory.AllocZeroed((nuint)(ReceiveBatch * NameSize));
        for (var i = 0; i < ReceiveBatch; i++)
        {
            _receiveVectors[i].Base = _receiveBuffers + (i * SlotSize);
            _receiveVectors[i].Length = SlotSize;
            _receiveMessages[i].Header.Vectors = _receiveVectors + i;
            _receiveMessages[i].Header.VectorCount = 1;
            _receiveMessages[i].Header.Name = _receiveNames + (i * NameSize);
        }
        InitializeSend();
        _thread = new Thread(Run) { IsBackground = true, Name = $"media-io-{index}" };
    }

    /// <summary>The I/O thread the caller runs on, or null off these threads (then a send goes out at once).</summary>
    internal static IoThread? Current => t_current;

    /// <summary>Sockets this thread serves now.</summary>
    public int Count => Volatile.Read(ref _registered);

    public long Datagrams;
    public long Batches;
    public long ReceiveErrors;
    public long Oversize;
    public long Pauses;

    public void Start() => _thread.Start();

    /// <summary>Adds a socket to this thread's epoll set; its handler runs on this thread from the next round on.</summary>
    public bool Add(IoRegistration registration)
    {
        lock (_registrationLock)
        {
            var slot = Array.IndexOf(_registrations, null);
            if (slot < 0)
            {
                slot = _registrations.Length;
                var grown = new IoRegistration?[_registrations.Length * 2];
                _registrations.CopyTo(grown, 0);
                _registrations = grown;
            }
            registration.Slot = slot;
            _registrations[slot] = registration;
            var added = false;
            registration.Handle.DangerousAddRef(ref added);
            try
            {
                var epollEvent = stackalloc byte[16];
                LinuxSockets.WriteEpollEvent(epollEvent, LinuxSockets.EpollIn, (ulong)slot);
                if (LinuxSockets.EpollControl(_epoll, LinuxSockets.EpollCtlAdd, registration.Handle.DangerousGetHandle(), epollEvent) != 0)
                {
                    _registrations[slot] = null;
                    return false;
                }
            }
            finally
            {
                registration.Handle.DangerousRelease();
            }
            _registered++;
            return true;
        }
    }

    /// <summary>
    /// Takes a socket out of the epoll set (called by whoever closes it). A round that already saw it ready may still read it once
    /// under its own reference; the socket's close then waits for that read (microseconds), never for the thread to wake.
    /// </summary>
    public void Remove(IoRegistration registration)
    {
        lock (_registrationLock)
        {
            if (registration.Slot < 0 || !ReferenceEquals(_registrations[registration.Slot], registration))
            {
                return;
            }
            var added = false;
            try
            {
                registration.Handle.DangerousAddRef(ref added);
                LinuxSockets.EpollControl(_epoll, LinuxSockets.EpollCtlDel, registration.Handle.DangerousGetHandle(), null);
            }
            catch (ObjectDisposedException)
            {
                // Already closed: the kernel dropped it from the set with its last descriptor.
            }
            finally
            {
                if (added)
                {
                    registration.Handle.DangerousRelease();
                }
            }
            _registrations[registration.Slot] = null;
            registration.Slot = -1;
            _registered--;
        }
    }

    private void Run()
    {
        t_current = this;
        while (!_stopping)
        {
            // 1. Wait for ready sockets (or the stop wake-up).
            var ready = LinuxSockets.EpollWait(_epoll, _events, MaxEvents, 1000);
            if (ready < 0)
            {
                if (Marshal.GetLastPInvokeError() != LinuxSockets.EIntr)
                {
                    ReceiveErrors++;
                }
                continue;
            }
            var registrations = Volatile.Read(ref _registrations);
            // 2. One recvmmsg per ready socket, each datagram handled inline; what the handlers send is queued per socket.
            var before = Datagrams;
            _fullBatch = ready == MaxEvents;
            for (var i = 0; i < ready; i++)
            {
                var token = LinuxSockets.ReadEpollData(_events + (i * LinuxSockets.EpollEventSize));
                if (token == WakeToken)
                {
                    ulong value;
                    LinuxSockets.Read(_wake, &value, sizeof(ulong));
                    continue;
                }
                if (token < (ulong)registrations.Length && registrations[token] is { } registration)
                {
                    Receive(registration);
                }
            }
            // 3. One sendmmsg per socket that has datagrams queued.
            Flush();
            // 4. Coalesce: a round that moved datagrams but filled no batch sleeps a moment, so what arrives meanwhile is read
            //    and sent in one call each rather than one wake-up per datagram or two. A full batch (or a full event list) means
            //    a backlog: no pause.
            if ((_pause.Seconds | _pause.Nanoseconds) != 0 && Datagrams != before && !_fullBatch)
            {
                Pauses++;
                var pause = _pause;
                LinuxSockets.NanoSleep(&pause, null);
            }
        }
        t_current = null;
    }

    /// <summary>One recvmmsg on a ready socket: every datagram in the batch goes to the handler before the next call.</summary>
    private void Receive(IoRegistration registration)
    {
        if (registration.Closed)
        {
            return;
        }
        var added = false;
        try
        {
            registration.Handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return; // Closed between the event and this read: the leg is gone.
        }
        int received;
        try
        {
            for (var i = 0; i < ReceiveBatch; i++)
            {
                _receiveMessages[i].Header.NameLength = NameSize;
                _receiveMessages[i].Header.Flags = 0;
            }
            received = LinuxSockets.ReceiveMessages(registration.Handle.DangerousGetHandle(), _receiveMessages, ReceiveBatch,
                LinuxSockets.MsgDontWait | LinuxSockets.MsgWaitForOne, null);
        }
        finally
        {
            if (added)
            {
                registration.Handle.DangerousRelease();
            }
        }
        if (received < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            if (error is not (LinuxSockets.EAgain or LinuxSockets.EIntr))
            {
                // ECONNREFUSED (an ICMP error queued on the socket), ENOBUFS, ENOMEM, EBADF: counted; the next round tries again.
                Interlocked.Increment(ref ReceiveErrors);
                LogReceiveError(_logger, error);
            }
            return;
        }
        Batches++;
        Datagrams += received;
        _fullBatch |= received == ReceiveBatch;
        var handler = registration.Handler;
        for (var i = 0; i < received; i++)
        {
            ref var message = ref _receiveMessages[i];
            var nameLength = (int)Math.Min(message.Header.NameLength, NameSize);
            var source = nameLength == 16 ? _sourceV4 : nameLength == 28 ? _sourceV6 : _sourceOther;
            new ReadOnlySpan<byte>(message.Header.Name, nameLength).CopyTo(source.Buffer.Span);
            source.Size = nameLength;
            var length = (int)message.Length;
            try
            {
                if (length > DatagramReceiveLoop.BufferSize || (message.Header.Flags & LinuxSockets.MsgTrunc) != 0)
                {
                    Oversize++;
                    handler.OnOversize(source);
                    continue;
                }
                handler.OnDatagram(new Span<byte>(message.Header.Vectors->Base, length), source);
            }
            catch (Exception e)
            {
                // A handler bug must not silence the other sockets of this thread.
                LogHandlerFault(_logger, e);
            }
        }
    }

    public void Stop()
    {
        _stopping = true;
        ulong one = 1;
        LinuxSockets.Write(_wake, &one, sizeof(ulong));
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    public void Dispose()
    {
        Stop();
        if (_thread.IsAlive)
        {
            return; // Still inside a handler: leak the buffers rather than free them under it.
        }
        LinuxSockets.Close(_wake);
        LinuxSockets.Close(_epoll);
        NativeMemory.Free(_events);
        NativeMemory.Free(_receiveMessages);
        NativeMemory.Free(_receiveVectors);
        NativeMemory.AlignedFree(_receiveBuffers);
        NativeMemory.Free(_receiveNames);
        FreeSend();
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "recvmmsg failed with errno {Errno}; counted")]
    private static partial void LogReceiveError(ILogger logger, int errno);

    [LoggerMessage(EventId = 111, Level = LogLevel.Error, Message = "Datagram handler threw on a batched I/O thread; the datagram is dropped")]
    private static partial void LogHandlerFault(ILogger logger, Exception exception);
}
