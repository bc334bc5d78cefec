using System.Net;
using System.Text;
using MediaServer.Codecs.Stun;
using MediaServer.Codecs.Tests.Stun.TestData;
using MediaServer.Codecs.Tests.TestData;

namespace MediaServer.Codecs.Tests.Stun;

public class Rfc5769VectorTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes(Rfc5769.Password);

    [Fact]
    public void Sample_request_parses_into_its_attributes()
    {
        byte[] datagram = Rfc5769.SampleRequest;

        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.Equal(StunClass.Request, message.Class);
        Assert.Equal(StunMethod.Binding, message.Method);
        Assert.Equal(0x58, message.Length);
        Assert.Equal(Hex.Parse(Rfc5769.TransactionIdHex), message.TransactionId.ToArray());
        Assert.True(message.TryGetSoftware(out var software));
        Assert.Equal("STUN test client", Encoding.UTF8.GetString(software));
        Assert.True(message.TryGetPriority(out uint priority));
        Assert.Equal(0x6e0001ffu, priority);
        Assert.True(message.TryGetIceControlled(out ulong tieBreaker));
        Assert.Equal(0x932ff9b151263b36ul, tieBreaker);
        Assert.False(message.TryGetIceControlling(out _));
        Assert.False(message.HasUseCandidate);
        Assert.True(message.TryGetUsername(out var username));
        Assert.Equal("evtj:h6vY", Encoding.UTF8.GetString(username));
        Assert.Equal(20 + 20 + 8 + 12 + 16, message.MessageIntegrityOffset);
        Assert.Equal(datagram.Length - 8, message.FingerprintOffset);
        Assert.False(message.HasMessageIntegritySha256);
    }

    [Fact]
    public void Sample_request_passes_fingerprint_and_integrity_with_the_rfc_password()
    {
        Assert.True(StunMessage.TryParse(Rfc5769.SampleRequest, out var message));

        Assert.True(message.TryGetFingerprint(out uint fingerprint));
        Assert.Equal(0xe57a3bcfu, fingerprint);
        Assert.True(message.VerifyFingerprint());
        Assert.True(message.VerifyMessageIntegrity(Key));
        Assert.False(message.VerifyMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBu"u8));
    }

    [Fact]
    public void Sample_ipv4_response_decodes_the_mapped_address_and_verifies()
    {
        Assert.True(StunMessage.TryParse(Rfc5769.SampleIPv4Response, out var message));

        Assert.Equal(StunClass.SuccessResponse, message.Class);
        Assert.Equal(StunMethod.Binding, message.Method);
        Assert.True(message.TryGetSoftware(out var software));
        Assert.Equal("test vector", Encoding.UTF8.GetString(software));
        Assert.True(message.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(StunAddressFamily.IPv4, mapped.Family);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), mapped.ToIPEndPoint());
        Assert.True(message.VerifyFingerprint());
        Assert.True(message.VerifyMessageIntegrity(Key));
    }

    [Fact]
    public void Sample_ipv6_response_decodes_the_mapped_address_and_verifies()
    {
        Assert.True(StunMessage.TryParse(Rfc5769.SampleIPv6Response, out var message));

        Assert.True(message.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(StunAddressFamily.IPv6, mapped.Family);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853), mapped.ToIPEndPoint());
        Assert.True(message.VerifyFingerprint());
        Assert.True(message.VerifyMessageIntegrity(Key));
    }

    [Fact]
    public void Writer_reproduces_the_ipv4_response_apart_from_padding_bytes()
    {
        byte[] expected = Rfc5769.SampleIPv4Response;
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer);

        Assert.True(writer.Begin(StunClass.SuccessResponse, StunMethod.Binding, Hex.Parse(Rfc5769.TransactionIdHex)));
        Assert.True(writer.AddSoftware("test vector"));
        Assert.True(writer.AddXorMappedAddress(IPAddress.Parse("192.0.2.1"), 32853));
        Assert.True(writer.AddMessageIntegrity(Key));
        Assert.True(writer.AddFingerprint());

        // The RFC pads SOFTWARE with a space (0x20) where the writer pads with zero, and padding is covered by both
        // the HMAC and the CRC: so the MAC and fingerprint differ, and only those bytes and the padding byte may.
        byte[] written = buffer[..writer.BytesWritten];
        Assert.Equal(expected.Length, written.Length);
        byte[] patched = (byte[])expected.Clone();
        patched[20 + 4 + 11] = 0;
        Assert.Equal(patched[..48], written[..48]);
        Assert.True(StunMessage.TryParse(written, out var message));
        Assert.True(message.VerifyMessageIntegrity(Key));
        Assert.True(message.VerifyFingerprint());
    }

    [Fact]
    public void Writer_reproduces_the_ipv6_response_mapped_address_exactly()
    {
        byte[] expected = Rfc5769.SampleIPv6Response;
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer);

        Assert.True(writer.Begin(StunClass.SuccessResponse, StunMethod.Binding, Hex.Parse(Rfc5769.TransactionIdHex)));
        Assert.True(writer.AddSoftware("test vector"));
        Assert.True(writer.AddXorMappedAddress(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853));
        Assert.True(writer.AddMessageIntegrity(Key));
        Assert.True(writer.AddFingerprint());

        Assert.Equal(expected.Length, writer.BytesWritten);
        Assert.Equal(expected.AsSpan(36, 24).ToArray(), buffer.AsSpan(36, 24).ToArray());
    }

    [Fact]
    public void Writer_reproduces_the_request_byte_for_byte_when_given_the_rfc_padding()
    {
        // With the RFC's own padding bytes in the values, every byte — MAC and CRC included — must match.
        byte[] expected = Rfc5769.SampleRequest;
        var buffer = new byte[128];
        var writer = new StunMessageWriter(buffer);

        Assert.True(writer.Begin(StunClass.Request, StunMethod.Binding, Hex.Parse(Rfc5769.TransactionIdHex)));
        Assert.True(writer.AddSoftware("STUN test client"));
        Assert.True(writer.AddPriority(0x6e0001ff));
        Assert.True(writer.AddIceControlled(0x932ff9b151263b36));
        Assert.True(writer.AddUsername("evtj:h6vY"));
        buffer[20 + 20 + 8 + 12 + 4 + 9] = 0x20;
        buffer[20 + 20 + 8 + 12 + 4 + 10] = 0x20;
        buffer[20 + 20 + 8 + 12 + 4 + 11] = 0x20;
        Assert.True(writer.AddMessageIntegrity(Key));
        Assert.True(writer.AddFingerprint());

        Assert.Equal(expected, buffer[..writer.BytesWritten]);
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value()
    {
        // The CRC-32 (IEEE 802.3) check value over ASCII "123456789".
        Assert.Equal(0xCBF43926u, StunCrc32.Compute("123456789"u8));
        Assert.Equal(0u, StunCrc32.Compute([]));
    }
}
