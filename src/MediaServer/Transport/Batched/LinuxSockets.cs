using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MediaServer.Transport.Batched;

/// <summary>struct iovec (readv(2)): one buffer of a message.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVector
{
    public byte* Base;
    public nuint Length;
}

/// <summary>struct msghdr (recvmsg(2)), 56 bytes on 64-bit Linux.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MessageHeader
{
    public byte* Name;
    public uint NameLength;
    public IoVector* Vectors;
    public nuint VectorCount;
    public byte* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct timespec (64-bit Linux): for nanosleep(2).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}

/// <summary>struct mmsghdr (recvmmsg(2), sendmmsg(2)): a header and the length the kernel moved, 64 bytes on 64-bit Linux.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MultiMessageHeader
{
    public MessageHeader Header;
    public uint Length;
}

/// <summary>
/// The Linux calls the batched datagram path makes (glibc/musl "libc"). Every call reports errno through
/// <see cref="Marshal.GetLastPInvokeError"/>; none throws.
/// </summary>
internal static unsafe partial class LinuxSockets
{
    public const int MsgDontWait = 0x40;
    public const int MsgTrunc = 0x20;
    public const int MsgWaitForOne = 0x10000;

    public const int EIntr = 4;
    public const int EBadF = 9;
    public const int EAgain = 11;
    public const int ENoMem = 12;
    public const int ENotSock = 88;
    public const int EMsgSize = 90;
    public const int ENoBufs = 105;
    public const int EConnRefused = 111;

    public const int EpollIn = 0x001;
    public const int EpollErr = 0x008;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;
    public const int EpollCloExec = 0x80000;
    public const int EfdCloExec = 0x80000;
    public const int EfdNonBlock = 0x800;

    /// <summary>
    /// sizeof(struct epoll_event): packed (12 bytes) on x86-64, where the kernel declares it so; 16 elsewhere. The events word is
    /// at offset 0 and the 64-bit data at <see cref="EpollDataOffset"/>.
    /// </summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>Where the batched path runs: Linux on a 64-bit architecture whose structure layout is the one above.</summary>
    public static bool IsSupported =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int ReceiveMessages(nint socket, MultiMessageHeader* messages, uint count, int flags, void* timeout);

    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMessages(nint socket, MultiMessageHeader* messages, uint count, int flags);

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollControl(int epoll, int operation, nint socket, byte* epollEvent);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epoll, byte* events, int maxEvents, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "nanosleep", SetLastError = true)]
    public static partial int NanoSleep(TimeSpec* request, TimeSpec* remaining);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>Writes one epoll_event (events, data) at <paramref name="target"/> in this architecture's layout.</summary>
    public static void WriteEpollEvent(byte* target, uint events, ulong data)
    {
        *(uint*)target = events;
        Unsafe.WriteUnaligned(target + EpollDataOffset, data);
    }

    public static ulong ReadEpollData(byte* source) => Unsafe.ReadUnaligned<ulong>(source + EpollDataOffset);

    public static uint ReadEpollEvents(byte* source) => *(uint*)source;
}
