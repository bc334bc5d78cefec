namespace MediaServer.Codecs.Stun;

/// <summary>The ERROR-CODE values an ICE-lite responder sends (RFC 8489 §14.8, RFC 8445 §7.3.1.1).</summary>
public static class StunErrorCodes
{
    /// <summary>Malformed request, or one missing USERNAME or MESSAGE-INTEGRITY (RFC 8489 §9.1.3).</summary>
    public const int BadRequest = 400;

    /// <summary>Unknown username or wrong MESSAGE-INTEGRITY (RFC 8489 §9.1.3).</summary>
    public const int Unauthorized = 401;

    /// <summary>A comprehension-required attribute the server does not understand (RFC 8489 §6.3.1).</summary>
    public const int UnknownAttribute = 420;

    /// <summary>Both agents claim the same ICE role (RFC 8445 §7.3.1.1).</summary>
    public const int RoleConflict = 487;

    /// <summary>The RFC 8489 §14.8 recommended reason phrase for <paramref name="code"/>; empty for codes not listed here.</summary>
    public static string ReasonPhrase(int code) => code switch
    {
        BadRequest => "Bad Request",
        Unauthorized => "Unauthorized",
        UnknownAttribute => "Unknown Attribute",
        RoleConflict => "Role Conflict",
        _ => string.Empty,
    };
}
