using MediaServer.Codecs.Stun;

namespace MediaServer.Codecs.Tests.Stun;

/// <summary>
/// Builds connectivity checks shaped like the ones real full-ICE peers send to our ICE-lite server (RFC 8445 §7.1.1):
/// Chromium's order is USERNAME, GOOG-NETWORK-INFO (0xC057, comprehension-optional), ICE-CONTROLLING, USE-CANDIDATE,
/// PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT; aioice's (aiortc) is PRIORITY, ICE-CONTROLLING, USE-CANDIDATE,
/// USERNAME, then the same two.
/// </summary>
internal static class IceCheckBuilder
{
    public const string ServerUfrag = "Srv1";
    public const string ServerPassword = "s3rverPassw0rd/WithEnough+Chars";
    public const string ClientUfrag = "cLnT";
    public const uint Priority = 0x6E7F1EFF; // host candidate, RFC 8445 §5.1.2.1 with type preference 126
    public const ulong TieBreaker = 0x0123456789ABCDEF;

    public static byte[] TransactionId(int seed)
    {
        var id = new byte[12];
        new Random(seed).NextBytes(id);
        return id;
    }

    public static byte[] Chromium(byte[] transactionId, bool useCandidate = true, string? password = null, string? username = null)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer);
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, transactionId));
        Assert.True(writer.AddUsername(username ?? $"{ServerUfrag}:{ClientUfrag}"));
        Assert.True(writer.AddAttribute((StunAttributeType)0xC057, [0x00, 0x01, 0x00, 0x0A]));
        Assert.True(writer.AddIceControlling(TieBreaker));
        if (useCandidate)
        {
            Assert.True(writer.AddUseCandidate());
        }

        Assert.True(writer.AddPriority(Priority));
        Assert.True(writer.AddMessageIntegrity(System.Text.Encoding.UTF8.GetBytes(password ?? ServerPassword)));
        Assert.True(writer.AddFingerprint());
        return buffer[..writer.BytesWritten];
    }

    public static byte[] Aiortc(byte[] transactionId)
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer);
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, transactionId));
        Assert.True(writer.AddPriority(Priority));
        Assert.True(writer.AddIceControlling(TieBreaker));
        Assert.True(writer.AddUseCandidate());
        Assert.True(writer.AddUsername(System.Text.Encoding.UTF8.GetBytes($"{ServerUfrag}:{ClientUfrag}")));
        Assert.True(writer.AddMessageIntegrity(System.Text.Encoding.UTF8.GetBytes(ServerPassword)));
        Assert.True(writer.AddFingerprint());
        return buffer[..writer.BytesWritten];
    }
}
