namespace MediaServer.Codecs.Srtp;

/// <summary>What became of an incoming SRTP or SRTCP packet. Only <see cref="Ok"/> leaves plaintext in the buffer.</summary>
public enum SrtpResult
{
    /// <summary>Authenticated, fresh and decrypted in place.</summary>
    Ok = 0,

    /// <summary>Too short, not RTP/RTCP version 2, or a header that runs past the packet. Nothing was checked.</summary>
    Malformed,

    /// <summary>The tag did not verify. The context's state is unchanged.</summary>
    AuthFailed,

    /// <summary>An index already accepted within the replay window (RFC 3711 §3.3.2).</summary>
    Replayed,

    /// <summary>An index older than the replay window reaches, so it can no longer be told apart from a replay.</summary>
    TooOld,

    /// <summary>A new SSRC when the context already tracks its maximum number of SSRCs.</summary>
    UnknownSsrcLimit,
}
