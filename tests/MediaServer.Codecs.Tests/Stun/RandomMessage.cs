using System.Net;
using System.Text;
using MediaServer.Codecs.Stun;

namespace MediaServer.Codecs.Tests.Stun;

/// <summary>A seeded random STUN message: what was meant, written through the writer and checked through the reader.</summary>
internal sealed class RandomMessage
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/:éß漢";

    private RandomMessage(StunClass stunClass, StunMethod method, byte[] transactionId)
    {
        Class = stunClass;
        Method = method;
        TransactionId = transactionId;
    }

    public StunClass Class { get; }

    public StunMethod Method { get; }

    public byte[] TransactionId { get; }

    private string? Username { get; set; }

    private string? Software { get; set; }

    private uint? Priority { get; set; }

    private bool UseCandidate { get; set; }

    private ulong? Controlling { get; set; }

    private ulong? Controlled { get; set; }

    private IPEndPoint? Mapped { get; set; }

    private (int Code, string Reason)? Error { get; set; }

    private byte[]? OpaqueValue { get; set; }

    private byte[]? Key { get; set; }

    private bool Sha256 { get; set; }

    private bool Fingerprint { get; set; }

    public static RandomMessage Create(Random random)
    {
        var transactionId = new byte[12];
        random.NextBytes(transactionId);
        var message = new RandomMessage((StunClass)random.Next(4), (StunMethod)random.Next(0x1000), transactionId);
        if (random.Next(2) == 0)
        {
            message.Username = RandomText(random, random.Next(0, 60));
        }

        if (random.Next(2) == 0)
        {
            message.Software = RandomText(random, random.Next(0, 40));
        }

        if (random.Next(2) == 0)
        {
            message.Priority = (uint)random.NextInt64(0, 1L << 32);
        }

        message.UseCandidate = random.Next(2) == 0;
        if (random.Next(3) == 0)
        {
            message.Controlling = (ulong)random.NextInt64();
        }

        if (random.Next(3) == 0)
        {
            message.Controlled = (ulong)random.NextInt64();
        }

        if (random.Next(2) == 0)
        {
            var address = new byte[random.Next(2) == 0 ? 4 : 16];
            random.NextBytes(address);
            if (address.Length == 16)
            {
                address[0] = 0x20; // keep clear of ::ffff:0:0/96, which is stored as IPv4
            }

            message.Mapped = new IPEndPoint(new IPAddress(address), random.Next(0, 65536));
        }

        if (random.Next(3) == 0)
        {
            message.Error = (random.Next(300, 700), RandomText(random, random.Next(0, 30)));
        }

        if (random.Next(3) == 0)
        {
            message.OpaqueValue = new byte[random.Next(0, 40)];
            random.NextBytes(message.OpaqueValue);
        }

        if (random.Next(2) == 0)
        {
            message.Key = new byte[random.Next(1, 40)];
            random.NextBytes(message.Key);
            message.Sha256 = random.Next(2) == 0;
        }

        message.Fingerprint = random.Next(2) == 0;
        return message;
    }

    public bool WriteAttributes(ref StunMessageWriter writer) =>
        (Username is null || writer.AddUsername(Username)) &&
        (Software is null || writer.AddSoftware(Software)) &&
        (Priority is null || writer.AddPriority(Priority.Value)) &&
        (!UseCandidate || writer.AddUseCandidate()) &&
        (Controlling is null || writer.AddIceControlling(Controlling.Value)) &&
        (Controlled is null || writer.AddIceControlled(Controlled.Value)) &&
        (Mapped is null || writer.AddXorMappedAddress(Mapped.Address, Mapped.Port)) &&
        (Error is null || writer.AddErrorCode(Error.Value.Code, Error.Value.Reason)) &&
        (OpaqueValue is null || writer.AddAttribute((StunAttributeType)0xC0DE, OpaqueValue)) &&
        (Key is null || writer.AddMessageIntegrity(Key)) &&
        (Key is null || !Sha256 || writer.AddMessageIntegritySha256(Key)) &&
        (!Fingerprint || writer.AddFingerprint());

    public void AssertMatches(StunMessage message)
    {
        Assert.Equal(Class, message.Class);
        Assert.Equal(Method, message.Method);
        Assert.Equal(TransactionId, message.TransactionId.ToArray());
        AssertText(Username, message.TryGetUsername(out var username), username);
        AssertText(Software, message.TryGetSoftware(out var software), software);
        Assert.Equal(Priority, message.TryGetPriority(out uint priority) ? priority : null);
        Assert.Equal(UseCandidate, message.HasUseCandidate);
        Assert.Equal(Controlling, message.TryGetIceControlling(out ulong controlling) ? controlling : null);
        Assert.Equal(Controlled, message.TryGetIceControlled(out ulong controlled) ? controlled : null);
        Assert.Equal(Mapped, message.TryGetXorMappedAddress(out var mapped) ? mapped.ToIPEndPoint() : null);
        if (Error is { } error)
        {
            Assert.True(message.TryGetErrorCode(out int code, out var reason));
            Assert.Equal(error.Code, code);
            Assert.Equal(error.Reason, Encoding.UTF8.GetString(reason));
        }
        else
        {
            Assert.False(message.TryGetErrorCode(out _, out _));
        }

        if (OpaqueValue is not null)
        {
            Assert.True(message.TryGetAttribute((StunAttributeType)0xC0DE, out var opaque));
            Assert.Equal(OpaqueValue, opaque.ToArray());
        }

        Assert.Equal(Key is not null, message.HasMessageIntegrity);
        Assert.Equal(Key is not null && Sha256, message.HasMessageIntegritySha256);
        if (Key is not null)
        {
            Assert.True(message.VerifyMessageIntegrity(Key));
            byte[] wrongKey = (byte[])Key.Clone();
            wrongKey[^1] ^= 1; // not key || 0x00: HMAC pads short keys with zeros, so that would be the same key
            Assert.False(message.VerifyMessageIntegrity(wrongKey));
            Assert.Equal(Sha256, message.VerifyMessageIntegritySha256(Key));
        }

        Assert.Equal(Fingerprint, message.HasFingerprint);
        Assert.Equal(Fingerprint, message.VerifyFingerprint());
    }

    private static void AssertText(string? expected, bool found, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(expected is not null, found);
        if (expected is not null)
        {
            Assert.Equal(expected, Encoding.UTF8.GetString(actual));
        }
    }

    private static string RandomText(Random random, int length)
    {
        var chars = new char[length];
        for (int i = 0; i < length; i++)
        {
            chars[i] = Alphabet[random.Next(Alphabet.Length)];
        }

        return new string(chars);
    }
}
