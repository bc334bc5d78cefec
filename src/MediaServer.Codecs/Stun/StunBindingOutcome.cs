namespace MediaServer.Codecs.Stun;

/// <summary>What <see cref="StunBindingResponder"/> did with a message.</summary>
public enum StunBindingOutcome
{
    /// <summary>Nothing to send: not a Binding request (indications are keepalives), or a FINGERPRINT that fails (RFC 8489 §7.3).</summary>
    Ignored,

    /// <summary>A success response with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT; the check is authenticated.</summary>
    Success,

    /// <summary>400: no USERNAME or no MESSAGE-INTEGRITY (RFC 8489 §9.1.3), or an authenticated check without PRIORITY (RFC 8445 §7.1.1).</summary>
    BadRequest,

    /// <summary>401: a USERNAME not ours or a MESSAGE-INTEGRITY that fails (RFC 8489 §9.1.3).</summary>
    Unauthorized,

    /// <summary>420 with UNKNOWN-ATTRIBUTES: a comprehension-required attribute this agent does not know (RFC 8489 §6.3.1).</summary>
    UnknownAttribute,

    /// <summary>487: the peer claims the controlled role an ICE-lite agent always holds (RFC 8445 §7.3.1.1).</summary>
    RoleConflict,

    /// <summary>The response did not fit the destination; nothing was written.</summary>
    DestinationTooSmall,
}
