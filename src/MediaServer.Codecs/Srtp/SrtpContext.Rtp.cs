using System.Buffers.Binary;
using System.Security.Cryptography;
using MediaServer.Codecs.Rtp;

namespace MediaServer.Codecs.Srtp;

public sealed partial class SrtpContext
{
    /// <summary>
    /// Protects the RTP packet in <c>buffer[..length]</c> in place (RFC 3711 §3.3, RFC 7714 §8): encrypts the payload
    /// and appends the tag, so <paramref name="buffer"/> needs <see cref="RtpOverhead"/> bytes of room after it. The
    /// ROC is tracked per SSRC from the sequence numbers sent (§3.3.1), so a wrap past 65535 carries into it, and a
    /// packet sent again or late gets the ROC it had. False, with the buffer untouched, when the packet is not RTP,
    /// there is no room, or the SSRC is new and the context is full.
    /// </summary>
    public bool TryProtectRtp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int tagLength = _rtp.TagLength;
        if ((uint)length > (uint)buffer.Length || length > MaxPacketLength || buffer.Length - length < tagLength)
        {
            return false;
        }

        Span<byte> packet = buffer[..length];
        if (!TryReadRtpHeader(packet, out int headerLength, out uint ssrc, out ushort sequenceNumber)
            || !TryGetOrAddStream(ssrc, out SrtpStream? stream)
            || !SrtpIndex.TryEstimate(stream.HasSentRtp, stream.HighestSentIndex, sequenceNumber, out ulong index))
        {
            return false;
        }

        Span<byte> header = packet[..headerLength];
        Span<byte> payload = packet[headerLength..];
        Span<byte> tag = buffer.Slice(length, tagLength);
        if (_rtp.IsAead)
        {
            // RFC 7714 §8.2: the whole header, CSRCs and extension included, is the associated data.
            Span<byte> nonce = stackalloc byte[SrtpTransform.GcmNonceLength];
            _rtp.BuildGcmNonce(nonce, ssrc, index);
            _rtp.Gcm.Encrypt(nonce, payload, payload, tag, header);
        }
        else
        {
            _rtp.TryApplyAesCm(ssrc, index, payload);
            Span<byte> roc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(roc, (uint)(index >> 16));
            Span<byte> hmac = stackalloc byte[SrtpTransform.HmacSha1Length];
            _rtp.ComputeHmac(packet, roc, hmac);
            hmac[..tagLength].CopyTo(tag);
        }

        if (!stream.HasSentRtp || index > stream.HighestSentIndex)
        {
            stream.HighestSentIndex = index;
            stream.HasSentRtp = true;
        }

        protectedLength = length + tagLength;
        return true;
    }

    /// <summary>
    /// Unprotects the SRTP packet in <c>buffer[..length]</c> in place (RFC 3711 §3.3, RFC 7714 §8): estimates its
    /// index (§3.3.1), checks the replay window (§3.3.2), verifies the tag in constant time, then decrypts. On
    /// <see cref="SrtpResult.Ok"/> the RTP packet is <c>buffer[..plainLength]</c>. The ROC and window move only once
    /// the tag has verified, so a forged packet changes nothing; an unknown SSRC is admitted only then too.
    /// After <see cref="SrtpResult.AuthFailed"/> under GCM the payload bytes may have been zeroed.
    /// </summary>
    public SrtpResult TryUnprotectRtp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int tagLength = _rtp.TagLength;
        if ((uint)length > (uint)buffer.Length || length > MaxPacketLength + tagLength
            || length < RtpPacket.FixedHeaderLength + tagLength)
        {
            return SrtpResult.Malformed;
        }

        int authenticatedLength = length - tagLength;
        Span<byte> packet = buffer[..authenticatedLength];
        if (!TryReadRtpHeader(packet, out int headerLength, out uint ssrc, out ushort sequenceNumber))
        {
            return SrtpResult.Malformed;
        }

        SrtpStream? stream = FindStream(ssrc);
        if (stream is null && _count == _ssrcs.Length)
        {
            return SrtpResult.UnknownSsrcLimit;
        }

        ReplayWindow? window = stream?.RtpWindow;
        bool hasHighest = window is { HasHighest: true };
        if (!SrtpIndex.TryEstimate(hasHighest, hasHighest ? window!.Highest : 0, sequenceNumber, out ulong index))
        {
            return SrtpResult.TooOld;
        }

        if (window is not null)
        {
            SrtpResult replay = window.Check(index);
            if (replay != SrtpResult.Ok)
            {
                return replay;
            }
        }

        Span<byte> header = packet[..headerLength];
        Span<byte> payload = packet[headerLength..];
        ReadOnlySpan<byte> receivedTag = buffer.Slice(authenticatedLength, tagLength);
        if (_rtp.IsAead)
        {
            Span<byte> nonce = stackalloc byte[SrtpTransform.GcmNonceLength];
            _rtp.BuildGcmNonce(nonce, ssrc, index);
            if (!_rtp.Gcm.TryDecrypt(nonce, payload, receivedTag, payload, header))
            {
                return SrtpResult.AuthFailed;
            }
        }
        else
        {
            // RFC 3711 §3.3: authenticate before decrypting; the tag covers header, ciphertext and the guessed ROC.
            Span<byte> roc = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(roc, (uint)(index >> 16));
            Span<byte> hmac = stackalloc byte[SrtpTransform.HmacSha1Length];
            _rtp.ComputeHmac(packet, roc, hmac);
            if (!CryptographicOperations.FixedTimeEquals(hmac[..tagLength], receivedTag))
            {
                return SrtpResult.AuthFailed;
            }

            _rtp.TryApplyAesCm(ssrc, index, payload);
        }

        if (stream is null && !TryGetOrAddStream(ssrc, out stream))
        {
            return SrtpResult.UnknownSsrcLimit;
        }

        stream.RtpWindow.Accept(index);
        plainLength = authenticatedLength;
        return SrtpResult.Ok;
    }
}
