namespace MediaServer.Transport.WebRtc;

/// <summary>Why a DTLS handshake did not produce SRTP keys.</summary>
public enum DtlsFailure
{
    None,
    /// <summary>No completed handshake within the configured time (a silent or too slow peer).</summary>
    Timeout,
    /// <summary>The client's certificate is missing or does not hash to any fingerprint of its SDP.</summary>
    FingerprintMismatch,
    /// <summary>The peer broke the protocol: garbage, an alert, no common cipher suite or SRTP profile.</summary>
    ProtocolError,
    /// <summary>Too many handshakes were running already; this one never started.</summary>
    Refused,
    /// <summary>The caller's token was cancelled, or the handshake was disposed while it ran.</summary>
    Cancelled,
}

/// <summary>SRTP protection profiles negotiated through use_srtp (RFC 5764 §4.1.2, RFC 7714 §14.2).</summary>
public static class SrtpProfiles
{
    public const int Aes128CmHmacSha1_80 = 0x0001;
    public const int AeadAes128Gcm = 0x0007;

    /// <summary>Master key length in bytes (RFC 3711 §8.2; RFC 7714 §12).</summary>
    public static int KeyLength(int profile) => profile switch
    {
        Aes128CmHmacSha1_80 or AeadAes128Gcm => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(profile)),
    };

    /// <summary>Master salt length in bytes: 112 bits for AES-CM (RFC 3711 §8.2), 96 bits for AES-GCM (RFC 7714 §12).</summary>
    public static int SaltLength(int profile) => profile switch
    {
        Aes128CmHmacSha1_80 => 14,
        AeadAes128Gcm => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(profile)),
    };
}

/// <summary>
/// The SRTP master keys a DTLS-SRTP handshake produced (RFC 5764 §4.2). "Local" is what we protect with (as the DTLS server:
/// the server write key and salt), "remote" what we unprotect the peer's packets with (the client write key and salt).
/// </summary>
public sealed record DtlsSrtpKeys(
    int Profile,
    byte[] LocalMasterKey,
    byte[] LocalMasterSalt,
    byte[] RemoteMasterKey,
    byte[] RemoteMasterSalt);

/// <summary>The outcome of one handshake: keys on success, a failure kind and a human-readable reason otherwise.</summary>
public sealed record DtlsResult
{
    private DtlsResult(DtlsFailure failure, string? reason, DtlsSrtpKeys? keys)
    {
        Failure = failure;
        Reason = reason;
        Keys = keys;
    }

    public DtlsFailure Failure { get; }

    /// <summary>Why it failed (for logs and the audit trail); null on success.</summary>
    public string? Reason { get; }

    /// <summary>Non-null exactly when <see cref="Succeeded"/>.</summary>
    public DtlsSrtpKeys? Keys { get; }

    public bool Succeeded => Failure == DtlsFailure.None;

    public static DtlsResult Success(DtlsSrtpKeys keys) => new(DtlsFailure.None, null, keys);

    public static DtlsResult Failed(DtlsFailure failure, string reason) =>
        failure == DtlsFailure.None ? throw new ArgumentOutOfRangeException(nameof(failure)) : new(failure, reason, null);
}
