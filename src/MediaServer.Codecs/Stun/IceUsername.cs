namespace MediaServer.Codecs.Stun;

/// <summary>The USERNAME of an ICE connectivity check (RFC 8445 §7.2.2).</summary>
public static class IceUsername
{
    /// <summary>
    /// Splits "RFRAG:LFRAG" as the sender forms it — so, at the receiver, the receiver's own ufrag, a colon, and the
    /// sender's ufrag. Ufrags are ice-chars (RFC 8839 §5.4: letters, digits, '+', '/'), so there is exactly one colon
    /// and both sides are non-empty; anything else is false.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> username, out ReadOnlySpan<byte> localUfrag, out ReadOnlySpan<byte> remoteUfrag)
    {
        localUfrag = default;
        remoteUfrag = default;
        int colon = username.IndexOf((byte)':');
        if (colon <= 0 || colon == username.Length - 1 || username[(colon + 1)..].Contains((byte)':'))
        {
            return false;
        }

        localUfrag = username[..colon];
        remoteUfrag = username[(colon + 1)..];
        return true;
    }

    /// <summary>
    /// Writes the USERNAME a sender puts in its check: <paramref name="remoteUfrag"/>, ':', <paramref name="localUfrag"/>
    /// (RFC 8445 §7.2.2). Returns the bytes written, or -1 when it does not fit.
    /// </summary>
    public static int Write(ReadOnlySpan<byte> remoteUfrag, ReadOnlySpan<byte> localUfrag, Span<byte> destination)
    {
        int length = remoteUfrag.Length + 1 + localUfrag.Length;
        if (length > destination.Length)
        {
            return -1;
        }

        remoteUfrag.CopyTo(destination);
        destination[remoteUfrag.Length] = (byte)':';
        localUfrag.CopyTo(destination[(remoteUfrag.Length + 1)..]);
        return length;
    }
}
