using System.Text;
using MediaServer.Codecs.Stun;

namespace MediaServer.Testing.WebRtc;

/// <summary>A browser's ICE connectivity check to the server, as the controlling agent (RFC 8445 §7.1.2, §7.2.2).</summary>
public static class IceCheck
{
    /// <summary>
    /// A Binding request with USERNAME "serverUfrag:clientUfrag", PRIORITY, ICE-CONTROLLING, USE-CANDIDATE when nominating,
    /// MESSAGE-INTEGRITY keyed with the server's password (RFC 8489 §14.5) and FINGERPRINT.
    /// </summary>
    public static byte[] Build(string serverUfrag, string clientUfrag, string serverPassword, ReadOnlySpan<byte> transaction,
        bool useCandidate = true, ulong tiebreaker = 42)
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer);
        if (!(writer.Begin(StunClass.Request, StunMethod.Binding, transaction)
            && writer.AddUsername($"{serverUfrag}:{clientUfrag}".AsSpan())
            && writer.AddPriority(0x6E0001FF)
            && writer.AddIceControlling(tiebreaker)
            && (!useCandidate || writer.AddUseCandidate())
            && writer.AddMessageIntegrity(Encoding.ASCII.GetBytes(serverPassword))
            && writer.AddFingerprint()))
        {
            throw new InvalidOperationException("the ICE check does not fit in 512 bytes");
        }
        return buffer[..writer.BytesWritten];
    }

    /// <summary>
    /// Whether <paramref name="datagram"/> is the server's Binding success response to <paramref name="check"/>: a well-formed
    /// STUN message (RFC 8489 §5) of class success and method Binding, the check's transaction id, and MESSAGE-INTEGRITY
    /// keyed with the server's password (§9.1.3) and FINGERPRINT (§14.7) both valid.
    /// </summary>
    public static bool IsSuccessFor(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> check, string serverPassword)
    {
        return StunMessage.TryParse(datagram, out var message)
            && message.Class == StunClass.SuccessResponse
            && message.Method == StunMethod.Binding
            && message.TransactionId.SequenceEqual(check.Slice(8, StunMessage.TransactionIdLength))
            && message.VerifyMessageIntegrity(Encoding.ASCII.GetBytes(serverPassword))
            && message.VerifyFingerprint();
    }
}
