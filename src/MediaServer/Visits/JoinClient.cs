using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace MediaServer.Visits;

/// <summary>
/// Who presents a participant token: the token's id and the client's credential. A browser page sends a random instance
/// secret it keeps in its own storage (<see cref="HeaderName"/>), so it is the same client after a reload or a change of
/// network; a client that sends none (a plain-RTP kiosk on the facility network) is known by its address. Only a hash of the
/// secret is kept, so the binding table alone does not let anyone present it.
/// </summary>
public sealed record JoinClient(string TokenId, string Credential, IPAddress Address)
{
    public const string HeaderName = "Client-Instance";

    /// <summary>128 bits in base64url (RFC 4648 §5) is 22 characters: the least a secret may have.</summary>
    public const int MinInstanceLength = 22;

    public const int MaxInstanceLength = 128;

    public const string InstanceRule = "Client-Instance must be 22 to 128 characters of A-Z, a-z, 0-9, '-' and '_' (a random secret the client keeps).";

    /// <summary>Whether the credential is an instance secret (false: the client's address).</summary>
    public bool HasInstance => Credential.StartsWith("instance:", StringComparison.Ordinal);

    /// <summary>Builds the client from the request; false (with the reason) when the header is present but malformed.</summary>
    public static bool TryCreate(string tokenId, string? instance, IPAddress address, out JoinClient? client, out string? error)
    {
        client = null;
        error = null;
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (instance is null)
        {
            client = new JoinClient(tokenId, "address:" + normalized, normalized);
            return true;
        }
        if (!IsValidInstance(instance))
        {
            error = InstanceRule;
            return false;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(instance)));
        client = new JoinClient(tokenId, "instance:" + hash, normalized);
        return true;
    }

    public static bool IsValidInstance(string instance)
    {
        if (instance.Length is < MinInstanceLength or > MaxInstanceLength)
        {
            return false;
        }
        foreach (var c in instance)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>What the audit log says about the client (never the secret or its hash).</summary>
    public string Describe() => $"token {TokenId} from {Address}" + (HasInstance ? " with a client instance" : " without a client instance");
}
