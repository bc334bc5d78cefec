using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using MediaServer.Codecs.Rtp;

namespace MediaServer.Codecs.Srtp;

/// <summary>
/// An SRTP/SRTCP crypto context for one direction of one transport (RFC 3711 §3.2): the session keys derived from one
/// master key and salt, and per-SSRC state (§3.2.3) — ROC, SRTCP index and replay windows — made on an SSRC's first
/// packet, up to <see cref="SrtpContextOptions.MaxSsrcs"/> SSRCs. Packets are transformed in place and nothing is
/// allocated per packet once an SSRC is known; bad packets come back as a <see cref="SrtpResult"/>, never as exceptions.
/// <para>
/// Use one context to protect what this side sends and another, with the peer's keys, to unprotect what it receives
/// (DTLS-SRTP gives each side its own write key: see <see cref="DtlsSrtpKeyingMaterial"/>). A context is not
/// thread-safe: it belongs to the one loop that sends, or receives, on its transport.
/// </para>
/// </summary>
public sealed partial class SrtpContext : IDisposable
{
    /// <summary>The largest packet handled; bigger never fits a UDP datagram.</summary>
    public const int MaxPacketLength = ushort.MaxValue;

    private readonly SrtpTransform _rtp;
    private readonly SrtpTransform _rtcp;
    private readonly int _replayWindowSize;
    private readonly uint[] _ssrcs;
    private readonly SrtpStream[] _streams;
    private int _count;
    private bool _disposed;

    /// <summary>
    /// Derives the SRTP and SRTCP session keys from <paramref name="masterKey"/> (16 bytes) and
    /// <paramref name="masterSalt"/> (14 bytes for AES-CM, 12 for GCM) with key derivation rate 0 (RFC 3711 §4.3).
    /// </summary>
    public SrtpContext(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, SrtpContextOptions? options = null)
    {
        if (!profile.IsSupported())
        {
            throw new ArgumentOutOfRangeException(nameof(profile), profile, "Unsupported SRTP protection profile.");
        }

        if (masterKey.Length != profile.MasterKeyLength())
        {
            throw new ArgumentException($"{profile} takes a {profile.MasterKeyLength()}-byte master key.", nameof(masterKey));
        }

        if (masterSalt.Length != profile.MasterSaltLength())
        {
            throw new ArgumentException($"{profile} takes a {profile.MasterSaltLength()}-byte master salt.", nameof(masterSalt));
        }

        options ??= SrtpContextOptions.Default;
        options.Validate();
        Profile = profile;
        _replayWindowSize = options.ReplayWindowSize;
        _ssrcs = new uint[options.MaxSsrcs];
        _streams = new SrtpStream[options.MaxSsrcs];
        _rtp = DeriveTransform(profile, masterKey, masterSalt, SrtpKeyLabel.RtpEncryption, SrtpKeyLabel.RtpAuthentication, SrtpKeyLabel.RtpSalt);
        _rtcp = DeriveTransform(profile, masterKey, masterSalt, SrtpKeyLabel.RtcpEncryption, SrtpKeyLabel.RtcpAuthentication, SrtpKeyLabel.RtcpSalt);
    }

    private SrtpContext(SrtpProfile profile, SrtpTransform rtp, SrtpTransform rtcp, SrtpContextOptions options)
    {
        options.Validate();
        Profile = profile;
        _replayWindowSize = options.ReplayWindowSize;
        _ssrcs = new uint[options.MaxSsrcs];
        _streams = new SrtpStream[options.MaxSsrcs];
        _rtp = rtp;
        _rtcp = rtcp;
    }

    /// <summary>The protection profile the context was made for.</summary>
    public SrtpProfile Profile { get; }

    /// <summary>Bytes <see cref="TryProtectRtp"/> appends: the buffer needs this much room after the packet.</summary>
    public int RtpOverhead => Profile.RtpOverhead();

    /// <summary>Bytes <see cref="TryProtectRtcp"/> appends: the buffer needs this much room after the packet.</summary>
    public int RtcpOverhead => Profile.RtcpOverhead();

    /// <summary>How many SSRCs the context tracks now.</summary>
    public int SsrcCount => _count;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    /// <summary>
    /// A context over session keys given directly rather than derived, as RFC 7714 §16-17's vectors are stated.
    /// Tests only: real keys always come through the KDF.
    /// </summary>
    internal static SrtpContext FromSessionKeys(
        SrtpProfile profile,
        ReadOnlySpan<byte> encryptionKey,
        ReadOnlySpan<byte> salt,
        ReadOnlySpan<byte> authKey,
        SrtpContextOptions? options = null)
    {
        var rtp = new SrtpTransform(profile, encryptionKey, salt, authKey);
        var rtcp = new SrtpTransform(profile, encryptionKey, salt, authKey);
        return new SrtpContext(profile, rtp, rtcp, options ?? SrtpContextOptions.Default);
    }

    /// <summary>Sets the SRTCP index the next protected packet of <paramref name="ssrc"/> carries. Tests only.</summary>
    internal void SetNextSrtcpIndex(uint ssrc, uint index)
    {
        if (TryGetOrAddStream(ssrc, out SrtpStream? stream))
        {
            stream.NextSrtcpIndex = index;
        }
    }

    private static SrtpTransform DeriveTransform(
        SrtpProfile profile,
        ReadOnlySpan<byte> masterKey,
        ReadOnlySpan<byte> masterSalt,
        SrtpKeyLabel encryptionLabel,
        SrtpKeyLabel authLabel,
        SrtpKeyLabel saltLabel)
    {
        Span<byte> encryptionKey = stackalloc byte[16];
        Span<byte> salt = stackalloc byte[profile.SessionSaltLength()];
        Span<byte> authKey = stackalloc byte[profile.SessionAuthKeyLength()];
        try
        {
            SrtpKeyDerivation.DeriveSessionKey(masterKey, masterSalt, encryptionLabel, encryptionKey);
            SrtpKeyDerivation.DeriveSessionKey(masterKey, masterSalt, saltLabel, salt);
            if (!authKey.IsEmpty)
            {
                SrtpKeyDerivation.DeriveSessionKey(masterKey, masterSalt, authLabel, authKey);
            }

            return new SrtpTransform(profile, encryptionKey, salt, authKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(encryptionKey);
            CryptographicOperations.ZeroMemory(salt);
            CryptographicOperations.ZeroMemory(authKey);
        }
    }

    private SrtpStream? FindStream(uint ssrc)
    {
        int slot = _ssrcs.AsSpan(0, _count).IndexOf(ssrc);
        return slot >= 0 ? _streams[slot] : null;
    }

    private bool TryGetOrAddStream(uint ssrc, [NotNullWhen(true)] out SrtpStream? stream)
    {
        stream = FindStream(ssrc);
        if (stream is not null)
        {
            return true;
        }

        if (_count == _ssrcs.Length)
        {
            return false;
        }

        // The one allocation per SSRC: its state and replay bitmaps, kept for the life of the context.
        stream = new SrtpStream(ssrc, _replayWindowSize);
        _ssrcs[_count] = ssrc;
        _streams[_count] = stream;
        _count++;
        return true;
    }

    /// <summary>
    /// Reads what SRTP needs from an RTP header. The P bit is hidden from <see cref="RtpPacket.TryParse"/> while it
    /// looks, because the padding count is the packet's last byte, which is ciphertext on the receiving side.
    /// </summary>
    private static bool TryReadRtpHeader(Span<byte> packet, out int headerLength, out uint ssrc, out ushort sequenceNumber)
    {
        headerLength = 0;
        ssrc = 0;
        sequenceNumber = 0;
        if (packet.Length < RtpPacket.FixedHeaderLength)
        {
            return false;
        }

        byte first = packet[0];
        packet[0] = (byte)(first & ~0x20);
        bool parsed = RtpPacket.TryParse(packet, out RtpPacket rtp);
        if (parsed)
        {
            headerLength = rtp.HeaderLength;
            ssrc = rtp.Ssrc;
            sequenceNumber = rtp.SequenceNumber;
        }

        packet[0] = first;
        return parsed;
    }
}
