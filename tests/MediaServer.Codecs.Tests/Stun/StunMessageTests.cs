using System.Buffers.Binary;
using System.Text;
using MediaServer.Codecs.Stun;
using MediaServer.Codecs.Tests.Stun.TestData;

namespace MediaServer.Codecs.Tests.Stun;

public class StunMessageTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes(Rfc5769.Password);

    [Theory]
    [InlineData(0x0001, StunClass.Request)]          // RFC 8489 §5: Binding request is 0x0001
    [InlineData(0x0101, StunClass.SuccessResponse)]  // RFC 8489 §5: Binding success response is 0x0101
    [InlineData(0x0111, StunClass.ErrorResponse)]
    [InlineData(0x0011, StunClass.Indication)]
    public void Binding_message_types_decode_to_class_and_method(ushort messageType, StunClass expected)
    {
        Assert.Equal(expected, StunMessage.ClassOf(messageType));
        Assert.Equal(StunMethod.Binding, StunMessage.MethodOf(messageType));
        Assert.Equal(messageType, StunMessage.MessageTypeOf(expected, StunMethod.Binding));
    }

    [Fact]
    public void Every_method_and_class_round_trips_through_the_message_type()
    {
        for (int method = 0; method < 0x1000; method++)
        {
            for (int c = 0; c < 4; c++)
            {
                ushort type = StunMessage.MessageTypeOf((StunClass)c, (StunMethod)method);
                Assert.Equal(0, type & 0xC000);
                Assert.Equal((StunClass)c, StunMessage.ClassOf(type));
                Assert.Equal((StunMethod)method, StunMessage.MethodOf(type));
            }
        }
    }

    [Fact]
    public void Parse_accepts_a_header_with_no_attributes()
    {
        byte[] datagram = new byte[20];
        datagram[1] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(4), StunMessage.MagicCookie);

        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.Equal(0, message.Length);
        Assert.False(message.HasFingerprint);
        Assert.False(message.VerifyFingerprint());
        Assert.False(message.VerifyMessageIntegrity(Key));
        Assert.False(message.TryGetUsername(out _));
        Assert.False(message.GetAttributes().MoveNext());
    }

    [Fact]
    public void Parse_rejects_every_truncation_of_a_valid_message()
    {
        byte[] datagram = Rfc5769.SampleRequest;
        for (int length = 0; length < datagram.Length; length++)
        {
            Assert.False(StunMessage.TryParse(datagram.AsSpan(0, length), out _), $"length {length}");
        }

        Assert.True(StunMessage.TryParse(datagram, out _));
    }

    [Theory]
    [InlineData(0x54)]
    [InlineData(0x5C)]
    [InlineData(0x57)]
    [InlineData(0x00)]
    [InlineData(0xFFFC)]
    public void Parse_rejects_a_length_field_that_lies(int length)
    {
        byte[] datagram = Rfc5769.SampleRequest;
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), (ushort)length);

        Assert.False(StunMessage.TryParse(datagram, out _));
    }

    [Fact]
    public void Parse_rejects_a_datagram_with_trailing_bytes_after_the_message()
    {
        byte[] datagram = [.. Rfc5769.SampleRequest, 0, 0, 0, 0];

        Assert.False(StunMessage.TryParse(datagram, out _));
    }

    [Fact]
    public void Parse_rejects_a_wrong_magic_cookie()
    {
        byte[] datagram = Rfc5769.SampleRequest;
        datagram[7] ^= 0x01;

        Assert.False(StunMessage.TryParse(datagram, out _));
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x80)]
    [InlineData(0xC0)]
    public void Parse_rejects_a_first_byte_with_either_top_bit_set(byte topBits)
    {
        byte[] datagram = Rfc5769.SampleRequest;
        datagram[0] |= topBits;

        Assert.False(StunMessage.TryParse(datagram, out _));
    }

    [Fact]
    public void Parse_rejects_an_attribute_that_runs_off_the_end()
    {
        byte[] datagram = Rfc5769.SampleRequest;

        // The FINGERPRINT's value length grows from 4 to 5: with padding it needs 4 bytes more than there are.
        datagram[^5] = 5;
        Assert.False(StunMessage.TryParse(datagram, out _));

        // A SOFTWARE value length that claims the whole 16-bit range.
        datagram = Rfc5769.SampleRequest;
        datagram[22] = 0xFF;
        datagram[23] = 0xFF;
        Assert.False(StunMessage.TryParse(datagram, out _));
    }

    [Fact]
    public void Parse_rejects_an_attribute_header_cut_by_the_end_of_the_message()
    {
        // A message whose last 4 bytes hold only half an attribute header after a complete attribute.
        byte[] datagram = new byte[20 + 8 + 4];
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(0), 0x0001);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), 12);
        BinaryPrimitives.WriteUInt32BigEndian(datagram.AsSpan(4), StunMessage.MagicCookie);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(20), 0x0024);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(22), 4);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(28), 0x0025);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(30), 1); // one value byte + 3 padding do not fit

        Assert.False(StunMessage.TryParse(datagram, out _));
    }

    [Fact]
    public void Parse_rejects_an_attribute_after_fingerprint()
    {
        byte[] message = WriteWith((ref StunMessageWriter w) => w.AddSoftware("x"), finishWithFingerprint: true);
        byte[] extended = new byte[message.Length + 4];
        message.CopyTo(extended, 0);
        BinaryPrimitives.WriteUInt16BigEndian(extended.AsSpan(2), (ushort)(extended.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(extended.AsSpan(message.Length), (ushort)StunAttributeType.UseCandidate);

        Assert.False(StunMessage.TryParse(extended, out _));
    }

    [Fact]
    public void Integrity_wrong_in_any_one_bit_fails_verification()
    {
        byte[] original = Rfc5769.SampleRequest;
        Assert.True(StunMessage.TryParse(original, out var parsed));
        int macStart = parsed.MessageIntegrityOffset + 4;

        for (int bit = 0; bit < 160; bit++)
        {
            byte[] datagram = (byte[])original.Clone();
            datagram[macStart + (bit / 8)] ^= (byte)(1 << (bit % 8));
            Assert.True(StunMessage.TryParse(datagram, out var message));
            Assert.False(message.VerifyMessageIntegrity(Key), $"bit {bit}");
        }
    }

    [Fact]
    public void Any_covered_byte_changed_fails_integrity_and_fingerprint()
    {
        byte[] original = Rfc5769.SampleRequest;
        Assert.True(StunMessage.TryParse(original, out var parsed));
        int integrityOffset = parsed.MessageIntegrityOffset;

        // Every bit of the transaction id and attribute bytes before MESSAGE-INTEGRITY (the length field is
        // skipped: changing it breaks parsing instead).
        for (int index = 4; index < integrityOffset; index++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                byte[] datagram = (byte[])original.Clone();
                datagram[index] ^= (byte)(1 << bit);
                if (!StunMessage.TryParse(datagram, out var message))
                {
                    continue;
                }

                Assert.False(message.VerifyMessageIntegrity(Key), $"byte {index} bit {bit}");
                Assert.False(message.VerifyFingerprint(), $"byte {index} bit {bit}");
            }
        }
    }

    [Fact]
    public void Wrong_fingerprint_fails_while_integrity_still_holds()
    {
        byte[] datagram = Rfc5769.SampleRequest;
        datagram[^1] ^= 0x80;

        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.False(message.VerifyFingerprint());
        Assert.True(message.VerifyMessageIntegrity(Key));
    }

    [Fact]
    public void Fingerprint_that_is_not_four_bytes_does_not_verify()
    {
        byte[] datagram = Rfc5769.SampleRequest;
        // Rewrite FINGERPRINT as an 8-byte value covering the same bytes: still in bounds, wrong shape.
        byte[] longer = new byte[datagram.Length + 4];
        datagram.CopyTo(longer, 0);
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), (ushort)(longer.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(datagram.Length - 6), 8);

        Assert.True(StunMessage.TryParse(longer, out var message));
        Assert.True(message.HasFingerprint);
        Assert.False(message.TryGetFingerprint(out _));
        Assert.False(message.VerifyFingerprint());
    }

    [Fact]
    public void Attributes_after_message_integrity_are_enumerated_but_not_acted_on()
    {
        var key = "pw"u8.ToArray();
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer);
        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, new byte[12]));
        Assert.True(writer.AddPriority(7));
        Assert.True(writer.AddMessageIntegrity(key));
        int length = writer.BytesWritten;

        // An on-path attacker appends USE-CANDIDATE after the MAC and fixes up the length (RFC 8489 §14.5).
        byte[] forged = new byte[length + 4];
        buffer.AsSpan(0, length).CopyTo(forged);
        BinaryPrimitives.WriteUInt16BigEndian(forged.AsSpan(2), (ushort)(forged.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(forged.AsSpan(length), (ushort)StunAttributeType.UseCandidate);

        Assert.True(StunMessage.TryParse(forged, out var message));
        Assert.True(message.VerifyMessageIntegrity(key));
        Assert.False(message.HasUseCandidate);
        Assert.True(message.TryGetPriority(out uint priority));
        Assert.Equal(7u, priority);
        int seen = 0;
        foreach (var attribute in message.GetAttributes())
        {
            seen++;
            Assert.Equal(seen == 3, attribute.Type == StunAttributeType.UseCandidate);
        }

        Assert.Equal(3, seen);
    }

    [Fact]
    public void Attributes_enumerate_with_type_value_and_offset()
    {
        Assert.True(StunMessage.TryParse(Rfc5769.SampleRequest, out var message));
        var types = new List<StunAttributeType>();
        var offsets = new List<int>();
        var lengths = new List<int>();
        foreach (var attribute in message.GetAttributes())
        {
            types.Add(attribute.Type);
            offsets.Add(attribute.Offset);
            lengths.Add(attribute.Value.Length);
        }

        Assert.Equal(
            [StunAttributeType.Software, StunAttributeType.Priority, StunAttributeType.IceControlled, StunAttributeType.Username,
             StunAttributeType.MessageIntegrity, StunAttributeType.Fingerprint],
            types);
        Assert.Equal([20, 40, 48, 60, 76, 100], offsets);
        Assert.Equal([16, 4, 8, 9, 20, 4], lengths);
    }

    [Fact]
    public void Error_code_reads_class_number_and_reason()
    {
        byte[] datagram = WriteWith((ref StunMessageWriter w) => w.AddErrorCode(487, "Role Conflict"), stunClass: StunClass.ErrorResponse);

        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.True(message.TryGetErrorCode(out int code, out var reason));
        Assert.Equal(487, code);
        Assert.Equal("Role Conflict", Encoding.UTF8.GetString(reason));
        // RFC 8489 §14.8: class 4 in the low three bits of the third byte, number 87 in the fourth.
        Assert.Equal(4, datagram[20 + 4 + 2]);
        Assert.Equal(87, datagram[20 + 4 + 3]);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(7, 0)]
    [InlineData(4, 100)]
    public void Error_code_outside_300_to_699_is_refused(byte errorClass, byte number)
    {
        byte[] datagram = WriteWith((ref StunMessageWriter w) => w.AddAttribute(StunAttributeType.ErrorCode, [0, 0, errorClass, number]));

        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.False(message.TryGetErrorCode(out _, out _));
    }

    [Fact]
    public void Typed_accessors_refuse_values_of_the_wrong_size()
    {
        byte[] datagram = WriteWith((ref StunMessageWriter w) =>
            w.AddAttribute(StunAttributeType.Priority, [1, 2, 3]) &&
            w.AddAttribute(StunAttributeType.IceControlling, [1, 2, 3, 4]) &&
            w.AddAttribute(StunAttributeType.IceControlled, new byte[12]) &&
            w.AddAttribute(StunAttributeType.XorMappedAddress, [0, 1, 0, 0, 1, 2, 3]) &&
            w.AddAttribute(StunAttributeType.MessageIntegrity, new byte[19]));

        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.False(message.TryGetPriority(out _));
        Assert.False(message.TryGetIceControlling(out _));
        Assert.False(message.TryGetIceControlled(out _));
        Assert.False(message.TryGetXorMappedAddress(out _));
        Assert.True(message.HasMessageIntegrity);
        Assert.False(message.TryGetMessageIntegrity(out _));
        Assert.False(message.VerifyMessageIntegrity(Key));
    }

    [Fact]
    public void Xor_mapped_address_with_an_unknown_family_is_refused()
    {
        byte[] datagram = WriteWith((ref StunMessageWriter w) => w.AddAttribute(StunAttributeType.XorMappedAddress, [0, 3, 0, 0, 1, 2, 3, 4]));

        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.False(message.TryGetXorMappedAddress(out _));
    }

    [Fact]
    public void Fifty_thousand_random_datagrams_never_throw()
    {
        var random = new Random(5769);
        var buffer = new byte[600];
        var response = new byte[256];
        int parsed = 0;
        for (int i = 0; i < 50_000; i++)
        {
            Span<byte> datagram = (i % 3) switch
            {
                0 => RandomBytes(random, buffer),
                1 => RandomBodyWithPlausibleHeader(random, buffer),
                _ => RandomAttributeChain(random, buffer),
            };

            if (StunMessage.TryParse(datagram, out var message))
            {
                parsed++;
                Exercise(message, response);
            }
        }

        Assert.True(parsed > 10_000, $"only {parsed} random datagrams parsed; the attribute walk was barely exercised");
    }

    private static Span<byte> RandomBytes(Random random, byte[] buffer)
    {
        Span<byte> datagram = buffer.AsSpan(0, random.Next(0, 200));
        random.NextBytes(datagram);
        return datagram;
    }

    private static Span<byte> RandomBodyWithPlausibleHeader(Random random, byte[] buffer)
    {
        Span<byte> datagram = buffer.AsSpan(0, 20 + (4 * random.Next(0, 40)));
        random.NextBytes(datagram);
        datagram[0] &= 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(datagram[2..], (ushort)(datagram.Length - 20));
        BinaryPrimitives.WriteUInt32BigEndian(datagram[4..], StunMessage.MagicCookie);
        return datagram;
    }

    private static readonly ushort[] InterestingTypes =
    [
        0x0006, 0x0008, 0x0009, 0x000A, 0x001C, 0x0020, 0x0024, 0x0025, 0x8022, 0x8028, 0x8029, 0x802A, 0xC057, 0x0003,
    ];

    private static Span<byte> RandomAttributeChain(Random random, byte[] buffer)
    {
        random.NextBytes(buffer.AsSpan(0, 20));
        buffer[0] &= 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), StunMessage.MagicCookie);
        int offset = 20;
        int count = random.Next(0, 8);
        for (int a = 0; a < count; a++)
        {
            ushort type = random.Next(4) == 0 ? (ushort)random.Next(65536) : InterestingTypes[random.Next(InterestingTypes.Length)];
            int length = random.Next(10) == 0 ? random.Next(0, 300) : random.Next(0, 33);
            int padded = (length + 3) & ~3;
            if (offset + 4 + padded > buffer.Length)
            {
                break;
            }

            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(offset), type);
            BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(offset + 2), (ushort)length);
            random.NextBytes(buffer.AsSpan(offset + 4, padded));
            offset += 4 + padded;
        }

        // Sometimes cut the chain or let the header lie by a word, so near-misses are tried too.
        int end = random.Next(8) == 0 ? Math.Max(20, offset - (4 * random.Next(1, 4))) : offset;
        int lengthField = random.Next(8) == 0 ? end - 20 + 4 : end - 20;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), (ushort)lengthField);
        return buffer.AsSpan(0, end);
    }

    [Fact]
    public void Random_mutations_of_a_browser_check_never_throw()
    {
        var random = new Random(8445);
        byte[] original = IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(1));
        var response = new byte[256];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] datagram = (byte[])original.Clone();
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                datagram[random.Next(datagram.Length)] = (byte)random.Next(256);
            }

            if (StunMessage.TryParse(datagram, out var message))
            {
                Exercise(message, response);
            }
        }
    }

    private static void Exercise(StunMessage message, byte[] response)
    {
        _ = message.Class;
        _ = message.Method;
        _ = message.TransactionId.Length;
        foreach (var attribute in message.GetAttributes())
        {
            _ = attribute.Value.Length;
        }

        _ = message.TryGetUsername(out _);
        _ = message.TryGetSoftware(out _);
        _ = message.TryGetPriority(out _);
        _ = message.HasUseCandidate;
        _ = message.TryGetIceControlling(out _);
        _ = message.TryGetIceControlled(out _);
        _ = message.TryGetXorMappedAddress(out _);
        _ = message.TryGetErrorCode(out _, out _);
        _ = message.TryGetMessageIntegrity(out _);
        _ = message.TryGetMessageIntegritySha256(out _);
        _ = message.VerifyFingerprint();
        _ = message.VerifyMessageIntegrity(Key);
        _ = message.VerifyMessageIntegritySha256(Key);
        Assert.True(StunTransportAddress.TryCreate([127, 0, 0, 1], 5000, out var remote));
        _ = StunBindingResponder.Respond(message, "Srv1"u8, Key, remote, response, out _);
    }

    private delegate bool AddAttributes(ref StunMessageWriter writer);

    private static byte[] WriteWith(AddAttributes add, bool finishWithFingerprint = false, StunClass stunClass = StunClass.Request)
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer);
        Assert.True(writer.Begin(stunClass, StunMethod.Binding, new byte[12]));
        Assert.True(add(ref writer));
        if (finishWithFingerprint)
        {
            Assert.True(writer.AddFingerprint());
        }

        return buffer[..writer.BytesWritten];
    }
}
