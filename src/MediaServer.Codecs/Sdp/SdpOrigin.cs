namespace MediaServer.Codecs.Sdp;

/// <summary>
/// The <c>o=</c> line (RFC 8866 §5.2). Session id and version are kept as the digit strings the peer sent:
/// the grammar is <c>1*DIGIT</c> with no upper bound, and some stacks use values beyond 64 bits.
/// </summary>
public sealed record SdpOrigin(
    string Username,
    string SessionId,
    string SessionVersion,
    string NetType,
    string AddressType,
    string Address)
{
    /// <summary>An origin in the shape RFC 8866 §5.2 suggests when there is no user name and no known address.</summary>
    public static SdpOrigin Create(string sessionId, string sessionVersion, string address = "0.0.0.0", string addressType = "IP4") =>
        new("-", sessionId, sessionVersion, "IN", addressType, address);

    public override string ToString() => $"{Username} {SessionId} {SessionVersion} {NetType} {AddressType} {Address}";
}
