using System.Net;
using MediaServer.Codecs.Rtcp;
using MediaServer.Codecs.Srtp;
using MediaServer.Media;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// The way out of one WebRTC leg to its browser: bound to the pair ICE nominated (<see cref="WebRtcSession"/> selects it) and
/// protected with the SRTP keys DTLS exported. It is the sender of every receiver slot of the leg, the leg's RTCP channel and
/// the way to ask its sender for a keyframe. Protection can be called from any relay loop and takes a short lock around the
/// cipher only, never around the send.
/// </summary>
public sealed class WebRtcPeer(WebRtcPort port) : IRtpSender, IRtcpChannel, IKeyframeSource
{
    private const int MaxOverhead = 32;
    private readonly Lock _protectLock = new();
    private SocketAddress? _selected;
    private SrtpContext? _outbound;

    public uint RtcpSsrc { get; } = (uint)Random.Shared.NextInt64(1, 1L << 32);

    /// <summary>The nominated remote address (null until an authenticated check arrives).</summary>
    public SocketAddress? Selected => Volatile.Read(ref _selected);

    public bool IsSecure => Volatile.Read(ref _outbound) is not null;

    public bool IsReady => Volatile.Read(ref _outbound) is not null && Volatile.Read(ref _selected) is not null;

    internal void Select(SocketAddress address) => Volatile.Write(ref _selected, address);

    internal void Secure(SrtpContext outbound)
    {
        lock (_protectLock)
        {
            Volatile.Write(ref _outbound, outbound);
        }
    }

    internal void Close()
    {
        lock (_protectLock)
        {
            Volatile.Read(ref _outbound)?.Dispose();
            Volatile.Write(ref _outbound, null);
        }
    }

    /// <summary>Protects one rewritten RTP packet and sends it to the nominated address.</summary>
    public bool TrySend(ReadOnlySpan<byte> packet) => ProtectAndSend(packet, rtcp: false);

    /// <summary>Protects and sends one RTCP compound packet we made (reports).</summary>
    public bool SendRtcp(ReadOnlySpan<byte> compound) => ProtectAndSend(compound, rtcp: true);

    /// <summary>Sends the peer a PLI (RFC 4585 §6.3.1) over SRTCP.</summary>
    public void RequestKeyframe(uint mediaSsrc)
    {
        Span<byte> pli = stackalloc byte[RtcpPli.Length];
        var length = RtcpPli.Write(pli, RtcpSsrc, mediaSsrc);
        if (length > 0)
        {
            ProtectAndSend(pli[..length], rtcp: true);
        }
    }

    /// <summary>
    /// Copies the packet once into a stack buffer with room for the tag, protects it under the lock (the cipher state is
    /// per direction and shared by every relay loop that sends here), and sends outside the lock.
    /// </summary>
    private bool ProtectAndSend(ReadOnlySpan<byte> packet, bool rtcp)
    {
        var selected = Volatile.Read(ref _selected);
        if (selected is null || packet.Length > DatagramReceiveLoop.BufferSize)
        {
            return false;
        }
        Span<byte> buffer = stackalloc byte[DatagramReceiveLoop.BufferSize + MaxOverhead];
        packet.CopyTo(buffer);
        int protectedLength;
        lock (_protectLock)
        {
            var outbound = Volatile.Read(ref _outbound);
            if (outbound is null)
            {
                return false;
            }
            var protectedOk = rtcp
                ? outbound.TryProtectRtcp(buffer, packet.Length, out protectedLength)
                : outbound.TryProtectRtp(buffer, packet.Length, out protectedLength);
            if (!protectedOk)
            {
                return false;
            }
        }
        return port.Sender.TrySend(buffer[..protectedLength], selected);
    }
}
