using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using MediaServer.Codecs.Stun;

namespace MediaServer.Codecs.Tests.Stun;

public class StunMessageWriterTests
{
    [Fact]
    public void Seeded_random_messages_round_trip_through_the_reader()
    {
        var random = new Random(8489);
        var buffer = new byte[2048];
        for (int iteration = 0; iteration < 2_000; iteration++)
        {
            var expected = RandomMessage.Create(random);
            var writer = new StunMessageWriter(buffer);
            Assert.True(writer.Begin(expected.Class, expected.Method, expected.TransactionId));
            Assert.True(expected.WriteAttributes(ref writer));

            Assert.True(StunMessage.TryParse(buffer.AsSpan(0, writer.BytesWritten), out var message), $"iteration {iteration}");
            Assert.Equal(writer.BytesWritten - 20, message.Length);
            expected.AssertMatches(message);
        }
    }

    [Fact]
    public void A_message_that_does_not_fit_is_refused_at_every_size_and_what_fit_stays_valid()
    {
        var key = "password"u8.ToArray();
        var full = new byte[256];
        int needed = WriteCheck(full, key);
        Assert.True(needed > 0);

        for (int size = 0; size < needed; size++)
        {
            var buffer = new byte[size];
            Assert.Equal(-1, WriteCheck(buffer, key));
        }
    }

    [Fact]
    public void Every_successful_step_leaves_a_message_that_parses()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer);
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, new byte[12]));
        AssertParses(ref writer);
        Assert.True(writer.AddUsername("a:b"));
        AssertParses(ref writer);
        Assert.True(writer.AddPriority(1));
        AssertParses(ref writer);
        Assert.True(writer.AddMessageIntegrity("k"u8));
        AssertParses(ref writer);
        Assert.True(writer.AddFingerprint());
        AssertParses(ref writer);

        static void AssertParses(ref StunMessageWriter writer) =>
            Assert.True(StunMessage.TryParse(writer.Written, out _), $"after {writer.BytesWritten} bytes");
    }

    [Fact]
    public void Order_rules_refuse_attributes_after_integrity_and_anything_after_fingerprint()
    {
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer);
        Assert.False(writer.AddPriority(1)); // before Begin
        Assert.False(writer.AddFingerprint());
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, new byte[12]));
        Assert.True(writer.AddMessageIntegrity("k"u8));
        int length = writer.BytesWritten;
        Assert.False(writer.AddPriority(1));
        Assert.False(writer.AddMessageIntegrity("k"u8));
        Assert.Equal(length, writer.BytesWritten);
        Assert.True(writer.AddMessageIntegritySha256("k"u8));
        Assert.False(writer.AddMessageIntegrity("k"u8));
        Assert.True(writer.AddFingerprint());
        Assert.False(writer.AddFingerprint());
        Assert.False(writer.AddUseCandidate());
        Assert.False(writer.AddMessageIntegritySha256("k"u8));

        Assert.True(StunMessage.TryParse(writer.Written, out var message));
        Assert.True(message.VerifyMessageIntegrity("k"u8));
        Assert.True(message.VerifyMessageIntegritySha256("k"u8));
        Assert.False(message.VerifyMessageIntegritySha256("j"u8));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Begin_refuses_a_transaction_id_that_is_not_12_bytes_or_a_method_over_12_bits()
    {
        var writer = new StunMessageWriter(new byte[64]);

        Assert.False(writer.Begin(StunClass.Request, StunMethod.Binding, new byte[11]));
        Assert.False(writer.Begin(StunClass.Request, StunMethod.Binding, new byte[13]));
        Assert.False(writer.Begin(StunClass.Request, (StunMethod)0x1000, new byte[12]));
        Assert.False(new StunMessageWriter(new byte[19]).Begin(StunClass.Request, StunMethod.Binding, new byte[12]));
        Assert.Equal(0, writer.BytesWritten);
    }

    [Fact]
    public void Text_attributes_respect_the_rfc_8489_limits()
    {
        var writer = new StunMessageWriter(new byte[2048]);
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, new byte[12]));

        Assert.True(writer.AddUsername(new string('u', 508)));
        Assert.False(writer.AddUsername(new string('u', 509)));        // §14.3: fewer than 509 bytes
        Assert.False(writer.AddUsername(new byte[509]));
        Assert.True(writer.AddSoftware(new string('s', 127)));
        Assert.False(writer.AddSoftware(new string('s', 128)));        // §14.14: fewer than 128 characters
        Assert.True(writer.AddErrorCode(499, new string('é', 127)));   // 254 bytes of UTF-8
        Assert.False(writer.AddErrorCode(400, new string('r', 128)));  // §14.8
        Assert.False(writer.AddErrorCode(299, "x"));
        Assert.False(writer.AddErrorCode(700, "x"));
        Assert.True(StunMessage.TryParse(writer.Written, out var message));
        Assert.True(message.TryGetErrorCode(out int code, out var reason));
        Assert.Equal(499, code);
        Assert.Equal(new string('é', 127), Encoding.UTF8.GetString(reason));
    }

    [Fact]
    public void Xor_mapped_address_comes_from_a_socket_address_without_the_caller_decoding_it()
    {
        var writer = new StunMessageWriter(new byte[128]);
        byte[] transactionId = IceCheckBuilder.TransactionId(3);
        Assert.True(writer.Begin(StunClass.SuccessResponse, StunMethod.Binding, transactionId));
        var endPoint = new IPEndPoint(IPAddress.Parse("fe80::1:2:3:4"), 65535);

        Assert.True(writer.AddXorMappedAddress(endPoint.Serialize()));

        Assert.True(StunMessage.TryParse(writer.Written, out var message));
        Assert.True(message.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(endPoint.Address, mapped.ToIPEndPoint().Address);
        Assert.Equal(65535, mapped.Port);
    }

    [Fact]
    public void Xor_mapped_address_is_refused_for_a_port_out_of_range()
    {
        var writer = new StunMessageWriter(new byte[128]);
        Assert.True(writer.Begin(StunClass.SuccessResponse, StunMethod.Binding, new byte[12]));

        Assert.False(writer.AddXorMappedAddress(IPAddress.Loopback, 65536));
        Assert.False(writer.AddXorMappedAddress(IPAddress.Loopback, -1));
        Assert.False(writer.AddXorMappedAddress(default(StunTransportAddress)));
        Assert.Equal(20, writer.BytesWritten);
    }

    [Fact]
    public void Truncated_message_integrity_sha256_verifies_on_its_leading_bytes()
    {
        // RFC 8489 §14.6 lets the sender keep only the first 16..32 bytes (in 4-byte steps); build one by hand.
        byte[] key = "sha-key"u8.ToArray();
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer);
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, IceCheckBuilder.TransactionId(4)));
        Assert.True(writer.AddPriority(9));
        int offset = writer.BytesWritten;
        int total = offset + 4 + 16;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)(total - 20));
        byte[] mac = HMACSHA256.HashData(key, buffer.AsSpan(0, offset));
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(offset), (ushort)StunAttributeType.MessageIntegritySha256);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(offset + 2), 16);
        mac.AsSpan(0, 16).CopyTo(buffer.AsSpan(offset + 4));

        Assert.True(StunMessage.TryParse(buffer.AsSpan(0, total), out var message));
        Assert.True(message.TryGetMessageIntegritySha256(out var value));
        Assert.Equal(16, value.Length);
        Assert.True(message.VerifyMessageIntegritySha256(key));
        Assert.False(message.HasMessageIntegrity);
    }

    private static int WriteCheck(Span<byte> buffer, byte[] key)
    {
        var writer = new StunMessageWriter(buffer);
        bool ok = writer.Begin(StunClass.Request, StunMethod.Binding, IceCheckBuilder.TransactionId(5)) &&
            writer.AddUsername("Srv1:cLnT") &&
            writer.AddSoftware("test") &&
            writer.AddIceControlling(42) &&
            writer.AddUseCandidate() &&
            writer.AddPriority(7) &&
            writer.AddXorMappedAddress(IPAddress.IPv6Loopback, 9) &&
            writer.AddErrorCode(400, "Bad Request") &&
            writer.AddUnknownAttributes([0x7000]) &&
            writer.AddMessageIntegrity(key) &&
            writer.AddMessageIntegritySha256(key) &&
            writer.AddFingerprint();
        if (!ok)
        {
            // Whatever was accepted before the refusal must still be a whole message.
            Assert.True(writer.BytesWritten == 0 || StunMessage.TryParse(writer.Written, out _));
            return -1;
        }

        Assert.True(StunMessage.TryParse(writer.Written, out var message));
        Assert.True(message.VerifyMessageIntegrity(key));
        Assert.True(message.VerifyMessageIntegritySha256(key));
        Assert.True(message.VerifyFingerprint());
        return writer.BytesWritten;
    }
}
