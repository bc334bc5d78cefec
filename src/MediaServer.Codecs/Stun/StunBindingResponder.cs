namespace MediaServer.Codecs.Stun;

/// <summary>
/// Answers ICE connectivity checks as an ICE-lite agent (RFC 8445 §2.5, §7.3): always controlled, never checking
/// back, with short-term credentials where the key is the local ice-pwd (RFC 8489 §9.1). Pure: the caller parses the
/// datagram, calls this, sends what it wrote, and on <see cref="StunBindingOutcome.Success"/> binds the remote address
/// to the session (nominated when the request has USE-CANDIDATE).
/// </summary>
public static class StunBindingResponder
{
    // Caps the UNKNOWN-ATTRIBUTES list of a 420; a request with more unknown attributes than this is hostile anyway.
    private const int MaxUnknownAttributes = 8;

    /// <summary>
    /// Decides the answer to <paramref name="request"/> and writes it into <paramref name="destination"/>.
    /// In order (RFC 8489 §6.3, §9.1.3; RFC 8445 §7.3): anything but a Binding request, or a wrong FINGERPRINT, is
    /// ignored; no USERNAME or MESSAGE-INTEGRITY → 400; a USERNAME other than "<paramref name="localUfrag"/>:…"
    /// (and, when <paramref name="remoteUfrag"/> is not empty, "…:<paramref name="remoteUfrag"/>") or a
    /// MESSAGE-INTEGRITY that fails with <paramref name="localPassword"/> → 401, without MESSAGE-INTEGRITY since the
    /// peer's key is unproven; then, authenticated: an unknown comprehension-required attribute → 420; no PRIORITY →
    /// 400; ICE-CONTROLLED → 487; otherwise success with XOR-MAPPED-ADDRESS = <paramref name="remote"/>. Every response
    /// ends with FINGERPRINT (RFC 8445 §7.3), authenticated ones with MESSAGE-INTEGRITY before it.
    /// </summary>
    public static StunBindingOutcome Respond(
        scoped in StunMessage request,
        scoped ReadOnlySpan<byte> localUfrag,
        scoped ReadOnlySpan<byte> localPassword,
        scoped ReadOnlySpan<byte> remoteUfrag,
        in StunTransportAddress remote,
        Span<byte> destination,
        out int written)
    {
        written = 0;
        if (request.Class != StunClass.Request || request.Method != StunMethod.Binding ||
            (request.HasFingerprint && !request.VerifyFingerprint()))
        {
            return StunBindingOutcome.Ignored;
        }

        var transactionId = request.TransactionId;
        if (!request.HasMessageIntegrity || !request.TryGetUsername(out var username))
        {
            return WriteError(StunErrorCodes.BadRequest, transactionId, authenticated: false, default, default, destination, out written);
        }

        if (!IceUsername.TryParse(username, out var usernameLocal, out var usernameRemote) ||
            !usernameLocal.SequenceEqual(localUfrag) ||
            (!remoteUfrag.IsEmpty && !usernameRemote.SequenceEqual(remoteUfrag)) ||
            !request.VerifyMessageIntegrity(localPassword))
        {
            return WriteError(StunErrorCodes.Unauthorized, transactionId, authenticated: false, default, default, destination, out written);
        }

        Span<ushort> unknown = stackalloc ushort[MaxUnknownAttributes];
        int unknownCount = CollectUnknownComprehensionRequired(request, unknown);
        if (unknownCount > 0)
        {
            return WriteError(StunErrorCodes.UnknownAttribute, transactionId, authenticated: true, localPassword, unknown[..unknownCount], destination, out written);
        }

        if (!request.TryGetPriority(out _))
        {
            return WriteError(StunErrorCodes.BadRequest, transactionId, authenticated: true, localPassword, default, destination, out written);
        }

        // RFC 8445 §7.3.1.1: a controlled agent that receives ICE-CONTROLLED has a role conflict. A lite agent cannot
        // take the controlling role (§6.1.1), so it always answers 487 and the full peer switches to controlling.
        if (request.TryGetIceControlled(out _))
        {
            return WriteError(StunErrorCodes.RoleConflict, transactionId, authenticated: true, localPassword, default, destination, out written);
        }

        var writer = new StunMessageWriter(destination);
        if (writer.Begin(StunClass.SuccessResponse, StunMethod.Binding, transactionId) &&
            writer.AddXorMappedAddress(remote) &&
            writer.AddMessageIntegrity(localPassword) &&
            writer.AddFingerprint())
        {
            written = writer.BytesWritten;
            return StunBindingOutcome.Success;
        }

        return StunBindingOutcome.DestinationTooSmall;
    }

    /// <summary>
    /// The same as <see cref="Respond(in StunMessage, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, in StunTransportAddress, Span{byte}, out int)"/>
    /// without checking the sender's ufrag.
    /// </summary>
    public static StunBindingOutcome Respond(
        scoped in StunMessage request,
        scoped ReadOnlySpan<byte> localUfrag,
        scoped ReadOnlySpan<byte> localPassword,
        in StunTransportAddress remote,
        Span<byte> destination,
        out int written) =>
        Respond(request, localUfrag, localPassword, default, remote, destination, out written);

    /// <summary>
    /// RFC 8489 §14: attributes 0x0000–0x7FFF must be understood. This agent understands those RFC 8489 and
    /// RFC 8445 define; it ignores the long-term-credential ones, which ICE does not send, rather than refusing them.
    /// </summary>
    private static int CollectUnknownComprehensionRequired(scoped in StunMessage request, Span<ushort> unknown)
    {
        int count = 0;
        foreach (StunAttribute attribute in request.GetOrdinaryAttributes())
        {
            if (!attribute.IsComprehensionRequired || IsUnderstood(attribute.Type) || unknown[..count].Contains((ushort)attribute.Type))
            {
                continue;
            }

            unknown[count++] = (ushort)attribute.Type;
            if (count == unknown.Length)
            {
                break;
            }
        }

        return count;
    }

    private static bool IsUnderstood(StunAttributeType type) => type is
        StunAttributeType.MappedAddress or StunAttributeType.Username or StunAttributeType.MessageIntegrity or
        StunAttributeType.ErrorCode or StunAttributeType.UnknownAttributes or StunAttributeType.Realm or
        StunAttributeType.Nonce or StunAttributeType.MessageIntegritySha256 or StunAttributeType.PasswordAlgorithm or
        StunAttributeType.Userhash or StunAttributeType.XorMappedAddress or StunAttributeType.Priority or
        StunAttributeType.UseCandidate;

    private static StunBindingOutcome WriteError(
        int code,
        scoped ReadOnlySpan<byte> transactionId,
        bool authenticated,
        scoped ReadOnlySpan<byte> key,
        scoped ReadOnlySpan<ushort> unknownAttributes,
        Span<byte> destination,
        out int written)
    {
        written = 0;
        var writer = new StunMessageWriter(destination);
        bool ok = writer.Begin(StunClass.ErrorResponse, StunMethod.Binding, transactionId) &&
            writer.AddErrorCode(code, StunErrorCodes.ReasonPhrase(code)) &&
            (unknownAttributes.IsEmpty || writer.AddUnknownAttributes(unknownAttributes)) &&
            (!authenticated || writer.AddMessageIntegrity(key)) &&
            writer.AddFingerprint();
        if (!ok)
        {
            return StunBindingOutcome.DestinationTooSmall;
        }

        written = writer.BytesWritten;
        return code switch
        {
            StunErrorCodes.BadRequest => StunBindingOutcome.BadRequest,
            StunErrorCodes.Unauthorized => StunBindingOutcome.Unauthorized,
            StunErrorCodes.UnknownAttribute => StunBindingOutcome.UnknownAttribute,
            _ => StunBindingOutcome.RoleConflict,
        };
    }
}
