using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MediaServer.Transport.Batched;

namespace MediaServer.Tests.Transport;

/// <summary>
/// The native structures recvmmsg/sendmmsg read, laid out as 64-bit Linux declares them (x86-64 and arm64 share the msghdr
/// layout; only epoll_event differs, packed to 12 bytes on x86-64). A wrong offset here would hand the kernel garbage pointers.
/// </summary>
public sealed class BatchedInteropLayoutTests
{
    [Fact]
    public void Io_vector_is_struct_iovec()
    {
        Assert.Equal(16, Unsafe.SizeOf<IoVector>());
        Assert.Equal(0, (int)Marshal.OffsetOf<IoVector>(nameof(IoVector.Base)));
        Assert.Equal(8, (int)Marshal.OffsetOf<IoVector>(nameof(IoVector.Length)));
    }

    [Fact]
    public void Message_header_is_struct_msghdr()
    {
        Assert.Equal(56, Unsafe.SizeOf<MessageHeader>());
        Assert.Equal(0, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Name)));
        Assert.Equal(8, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.NameLength)));
        Assert.Equal(16, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Vectors)));
        Assert.Equal(24, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.VectorCount)));
        Assert.Equal(32, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Control)));
        Assert.Equal(40, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.ControlLength)));
        Assert.Equal(48, (int)Marshal.OffsetOf<MessageHeader>(nameof(MessageHeader.Flags)));
    }

    [Fact]
    public void Multi_message_header_is_struct_mmsghdr()
    {
        Assert.Equal(64, Unsafe.SizeOf<MultiMessageHeader>());
        Assert.Equal(0, (int)Marshal.OffsetOf<MultiMessageHeader>(nameof(MultiMessageHeader.Header)));
        Assert.Equal(56, (int)Marshal.OffsetOf<MultiMessageHeader>(nameof(MultiMessageHeader.Length)));
    }

    [Fact]
    public void Epoll_event_is_packed_on_x64()
    {
        var x64 = RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;
        Assert.Equal(x64 ? 12 : 16, LinuxSockets.EpollEventSize);
        Assert.Equal(x64 ? 4 : 8, LinuxSockets.EpollDataOffset);
    }

    [Fact]
    public void The_batched_path_is_supported_on_this_linux_machine()
    {
        // The server and its tests run on Linux x64 here; if this fails, the batched path would silently fall back.
        Assert.Equal(OperatingSystem.IsLinux(), BatchedDatagramIo.IsSupported);
    }
}
