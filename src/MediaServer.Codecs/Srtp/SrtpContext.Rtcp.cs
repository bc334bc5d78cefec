using System.Buffers.Binary;
using System.Security.Cryptography;

namespace MediaServer.Codecs.Srtp;

public sealed partial class SrtpContext
{
    /// <summary>The SRTCP E flag (RFC 3711 §3.4): set when the packet is encrypted.</summary>
    private const uint EncryptedFlag = 0x8000_0000;

    /// <summary>The largest SRTCP index: it is 31 bits and must not wrap under one key (RFC 3711 §3.4, §9.2).</summary>
    private const uint MaxSrtcpIndex = 0x7FFF_FFFF;

    /// <summary>The first RTCP header and the sender's SSRC stay in the clear (RFC 3711 §3.4).</summary>
    private const int RtcpClearPrefix = 8;

    /// <summary>
    /// Protects the (compound) RTCP packet in <c>buffer[..length]</c> in place (RFC 3711 §3.4, RFC 7714 §9): encrypts
    /// everything after the first header and SSRC, appends E=1 with the SSRC's next 31-bit SRTCP index, and the tag
    /// (after the index for AES-CM; before it for GCM, whose tag is part of the ciphertext). <paramref name="buffer"/>
    /// needs <see cref="RtcpOverhead"/> bytes of room. False, buffer untouched, when the packet is not RTCP, there is
    /// no room, the SSRC is new and the context is full, or the SSRC has used up its 2^31 indices.
    /// </summary>
    public bool TryProtectRtcp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int tagLength = _rtcp.TagLength;
        if ((uint)length > (uint)buffer.Length || length > MaxPacketLength || buffer.Length - length < 4 + tagLength
            || !IsPlausibleRtcp(buffer[..length]))
        {
            return false;
        }

        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        if (!TryGetOrAddStream(ssrc, out SrtpStream? stream) || stream.NextSrtcpIndex > MaxSrtcpIndex)
        {
            return false;
        }

        uint index = stream.NextSrtcpIndex;
        uint flaggedIndex = EncryptedFlag | index;
        Span<byte> encrypted = buffer[RtcpClearPrefix..length];
        if (_rtcp.IsAead)
        {
            // RFC 7714 §9.2: the associated data is the clear prefix followed by E|index.
            Span<byte> associatedData = stackalloc byte[RtcpClearPrefix + 4];
            buffer[..RtcpClearPrefix].CopyTo(associatedData);
            BinaryPrimitives.WriteUInt32BigEndian(associatedData[RtcpClearPrefix..], flaggedIndex);
            Span<byte> nonce = stackalloc byte[SrtpTransform.GcmNonceLength];
            _rtcp.BuildGcmNonce(nonce, ssrc, index);
            _rtcp.Gcm.Encrypt(nonce, encrypted, encrypted, buffer.Slice(length, tagLength), associatedData);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(length + tagLength)..], flaggedIndex);
        }
        else
        {
            _rtcp.TryApplyAesCm(ssrc, index, encrypted);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], flaggedIndex);
            Span<byte> hmac = stackalloc byte[SrtpTransform.HmacSha1Length];
            _rtcp.ComputeHmac(buffer[..(length + 4)], default, hmac);
            hmac[..tagLength].CopyTo(buffer[(length + 4)..]);
        }

        stream.NextSrtcpIndex = index + 1;
        protectedLength = length + 4 + tagLength;
        return true;
    }

    /// <summary>
    /// Unprotects the SRTCP packet in <c>buffer[..length]</c> in place (RFC 3711 §3.4, RFC 7714 §9): replay check on
    /// the explicit SRTCP index, tag verified in constant time, then decryption when the E flag says the sender
    /// encrypted (E=0 packets are authenticated only). On <see cref="SrtpResult.Ok"/> the RTCP packet is
    /// <c>buffer[..plainLength]</c>. State moves only after the tag verifies.
    /// </summary>
    public SrtpResult TryUnprotectRtcp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        ObjectDisposedException.ThrowIf(_disposed, this);
        int tagLength = _rtcp.TagLength;
        if ((uint)length > (uint)buffer.Length || length > MaxPacketLength + 4 + tagLength
            || length < RtcpClearPrefix + 4 + tagLength)
        {
            return SrtpResult.Malformed;
        }

        // AES-CM: RTCP | E|index | tag (RFC 3711 §3.4). GCM: RTCP | tag | E|index (RFC 7714 §9).
        bool aead = _rtcp.IsAead;
        int rtcpLength = length - 4 - tagLength;
        int indexOffset = aead ? length - 4 : rtcpLength;
        int tagOffset = aead ? rtcpLength : length - tagLength;
        if (!IsPlausibleRtcp(buffer[..rtcpLength]))
        {
            return SrtpResult.Malformed;
        }

        uint flaggedIndex = BinaryPrimitives.ReadUInt32BigEndian(buffer[indexOffset..]);
        bool encrypted = (flaggedIndex & EncryptedFlag) != 0;
        uint index = flaggedIndex & MaxSrtcpIndex;
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        SrtpStream? stream = FindStream(ssrc);
        if (stream is null && _count == _ssrcs.Length)
        {
            return SrtpResult.UnknownSsrcLimit;
        }

        if (stream is not null)
        {
            SrtpResult replay = stream.RtcpWindow.Check(index);
            if (replay != SrtpResult.Ok)
            {
                return replay;
            }
        }

        Span<byte> body = buffer[RtcpClearPrefix..rtcpLength];
        if (aead)
        {
            Span<byte> nonce = stackalloc byte[SrtpTransform.GcmNonceLength];
            _rtcp.BuildGcmNonce(nonce, ssrc, index);
            if (encrypted)
            {
                Span<byte> associatedData = stackalloc byte[RtcpClearPrefix + 4];
                buffer[..RtcpClearPrefix].CopyTo(associatedData);
                BinaryPrimitives.WriteUInt32BigEndian(associatedData[RtcpClearPrefix..], flaggedIndex);
                if (!_rtcp.Gcm.TryDecrypt(nonce, body, buffer.Slice(tagOffset, tagLength), body, associatedData))
                {
                    return SrtpResult.AuthFailed;
                }
            }
            else if (!TryVerifyGcmTagOnly(buffer, rtcpLength, tagLength, flaggedIndex, nonce))
            {
                return SrtpResult.AuthFailed;
            }
        }
        else
        {
            // The tag covers the RTCP packet and the E|index word that follows it.
            Span<byte> hmac = stackalloc byte[SrtpTransform.HmacSha1Length];
            _rtcp.ComputeHmac(buffer[..tagOffset], default, hmac);
            if (!CryptographicOperations.FixedTimeEquals(hmac[..tagLength], buffer.Slice(tagOffset, tagLength)))
            {
                return SrtpResult.AuthFailed;
            }

            if (encrypted)
            {
                _rtcp.TryApplyAesCm(ssrc, index, body);
            }
        }

        if (stream is null && !TryGetOrAddStream(ssrc, out stream))
        {
            return SrtpResult.UnknownSsrcLimit;
        }

        stream.RtcpWindow.Accept(index);
        plainLength = rtcpLength;
        return SrtpResult.Ok;
    }

    /// <summary>
    /// RFC 7714 §9.3 (E=0): nothing is encrypted and the associated data is the whole RTCP packet followed by E|index.
    /// AES-GCM takes one contiguous span of associated data, so E|index is written over the start of the tag, whose
    /// bytes are kept on the stack and put back afterwards.
    /// </summary>
    private bool TryVerifyGcmTagOnly(Span<byte> buffer, int rtcpLength, int tagLength, uint flaggedIndex, ReadOnlySpan<byte> nonce)
    {
        Span<byte> tag = stackalloc byte[16];
        buffer.Slice(rtcpLength, tagLength).CopyTo(tag);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[rtcpLength..], flaggedIndex);
        bool ok = _rtcp.Gcm.TryDecrypt(nonce, Span<byte>.Empty, tag[..tagLength], Span<byte>.Empty, buffer[..(rtcpLength + 4)]);
        tag[..tagLength].CopyTo(buffer[rtcpLength..]);
        return ok;
    }

    /// <summary>
    /// SRTCP needs only the clear prefix: version 2, a header and the sender's SSRC. The compound's framing is left to
    /// the RTCP reader after unprotecting — the padding count is ciphertext here, and published vectors (RFC 7714 §17,
    /// libsrtp's) carry length fields that do not match their packets, yet are protected all the same.
    /// </summary>
    private static bool IsPlausibleRtcp(ReadOnlySpan<byte> rtcp) => rtcp.Length >= RtcpClearPrefix && rtcp[0] >> 6 == 2;
}
