using System.Buffers.Binary;
using System.Net;
using System.Text;
using MediaServer.Codecs.Stun;
using MediaServer.Codecs.Tests.Stun.TestData;

namespace MediaServer.Codecs.Tests.Stun;

public class StunBindingResponderTests
{
    private static readonly byte[] LocalUfrag = Encoding.UTF8.GetBytes(IceCheckBuilder.ServerUfrag);
    private static readonly byte[] LocalPassword = Encoding.UTF8.GetBytes(IceCheckBuilder.ServerPassword);
    private static readonly byte[] RemoteUfrag = Encoding.UTF8.GetBytes(IceCheckBuilder.ClientUfrag);

    [Theory]
    [InlineData("127.0.0.1", 50123)]
    [InlineData("::1", 61000)]
    [InlineData("2001:db8::42", 1)]
    public void Chromium_check_gets_a_success_that_parses_and_verifies(string address, int port)
    {
        byte[] transactionId = IceCheckBuilder.TransactionId(7);
        byte[] request = IceCheckBuilder.Chromium(transactionId);
        var remote = new IPEndPoint(IPAddress.Parse(address), port);
        Assert.True(StunTransportAddress.TryCreate(remote, out var remoteAddress));
        var buffer = new byte[256];

        Assert.True(StunMessage.TryParse(request, out var check));
        Assert.True(check.HasUseCandidate);
        var outcome = StunBindingResponder.Respond(check, LocalUfrag, LocalPassword, RemoteUfrag, remoteAddress, buffer, out int written);

        Assert.Equal(StunBindingOutcome.Success, outcome);
        Assert.True(StunMessage.TryParse(buffer.AsSpan(0, written), out var response));
        Assert.Equal(StunClass.SuccessResponse, response.Class);
        Assert.Equal(StunMethod.Binding, response.Method);
        Assert.Equal(transactionId, response.TransactionId.ToArray());
        Assert.True(response.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(remote, mapped.ToIPEndPoint());
        Assert.True(response.VerifyMessageIntegrity(LocalPassword));
        Assert.True(response.VerifyFingerprint());
        Assert.False(response.TryGetUsername(out _));
        // RFC 8489 §14.5/§14.7: MESSAGE-INTEGRITY then FINGERPRINT, the last two attributes.
        Assert.Equal(written - 8, response.FingerprintOffset);
        Assert.Equal(written - 8 - 24, response.MessageIntegrityOffset);
    }

    [Fact]
    public void Aiortc_check_gets_a_success_from_a_dual_mode_socket_address()
    {
        byte[] request = IceCheckBuilder.Aiortc(IceCheckBuilder.TransactionId(8));
        // A dual-mode socket reports an IPv4 peer as ::ffff:127.0.0.1; the peer must learn its IPv4 address.
        SocketAddress socketAddress = new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.1"), 40000).Serialize();
        Assert.True(StunTransportAddress.TryCreate(socketAddress, out var remote));
        var buffer = new byte[256];

        Assert.True(StunMessage.TryParse(request, out var check));
        var outcome = StunBindingResponder.Respond(check, LocalUfrag, LocalPassword, remote, buffer, out int written);

        Assert.Equal(StunBindingOutcome.Success, outcome);
        Assert.True(StunMessage.TryParse(buffer.AsSpan(0, written), out var response));
        Assert.True(response.TryGetXorMappedAddress(out var mapped));
        Assert.Equal(StunAddressFamily.IPv4, mapped.Family);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 40000), mapped.ToIPEndPoint());
        Assert.True(response.VerifyMessageIntegrity(LocalPassword));
    }

    [Fact]
    public void Check_with_the_wrong_password_gets_401_without_message_integrity()
    {
        byte[] request = IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(9), password: "not-the-password-at-all");

        var response = RespondAndParse(request, StunBindingOutcome.Unauthorized, out byte[] bytes);

        AssertError(bytes, 401);
        Assert.False(response.HasMessageIntegrity);
        Assert.True(response.VerifyFingerprint());
    }

    [Theory]
    [InlineData("Other:cLnT")]
    [InlineData("Srv1:other")]
    [InlineData("Srv1cLnT")]
    [InlineData(":cLnT")]
    [InlineData("Srv1:")]
    [InlineData("Srv1:cL:nT")]
    [InlineData("srv1:cLnT")]
    public void Check_with_a_username_that_is_not_ours_gets_401(string username)
    {
        byte[] request = IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(10), username: username);

        RespondAndParse(request, StunBindingOutcome.Unauthorized, out byte[] bytes);

        AssertError(bytes, 401);
    }

    [Fact]
    public void Remote_ufrag_is_not_checked_when_not_given()
    {
        byte[] request = IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(11), username: "Srv1:someoneElse");
        Assert.True(StunMessage.TryParse(request, out var check));
        Assert.True(StunTransportAddress.TryCreate([10, 0, 0, 1], 9, out var remote));

        var outcome = StunBindingResponder.Respond(check, LocalUfrag, LocalPassword, remote, new byte[256], out _);

        Assert.Equal(StunBindingOutcome.Success, outcome);
    }

    [Fact]
    public void Check_without_message_integrity_gets_400()
    {
        byte[] request = Build((ref StunMessageWriter w) => w.AddUsername("Srv1:cLnT") && w.AddPriority(1) && w.AddIceControlling(1) && w.AddFingerprint());

        var response = RespondAndParse(request, StunBindingOutcome.BadRequest, out byte[] bytes);

        AssertError(bytes, 400);
        Assert.False(response.HasMessageIntegrity);
    }

    [Fact]
    public void Check_without_username_gets_400()
    {
        byte[] request = Build((ref StunMessageWriter w) => w.AddPriority(1) && w.AddIceControlling(1) && w.AddMessageIntegrity(LocalPassword) && w.AddFingerprint());

        RespondAndParse(request, StunBindingOutcome.BadRequest, out byte[] bytes);

        AssertError(bytes, 400);
    }

    [Fact]
    public void Authenticated_check_without_priority_gets_400_with_message_integrity()
    {
        byte[] request = Build((ref StunMessageWriter w) =>
            w.AddUsername("Srv1:cLnT") && w.AddIceControlling(1) && w.AddMessageIntegrity(LocalPassword) && w.AddFingerprint());

        var response = RespondAndParse(request, StunBindingOutcome.BadRequest, out byte[] bytes);

        AssertError(bytes, 400);
        Assert.True(response.VerifyMessageIntegrity(LocalPassword));
    }

    [Fact]
    public void Check_claiming_the_controlled_role_gets_487_role_conflict()
    {
        byte[] request = Build((ref StunMessageWriter w) =>
            w.AddUsername("Srv1:cLnT") && w.AddPriority(5) && w.AddIceControlled(ulong.MaxValue) &&
            w.AddMessageIntegrity(LocalPassword) && w.AddFingerprint());

        var response = RespondAndParse(request, StunBindingOutcome.RoleConflict, out byte[] bytes);

        AssertError(bytes, 487, "Role Conflict");
        Assert.True(response.VerifyMessageIntegrity(LocalPassword));
        Assert.True(response.VerifyFingerprint());
    }

    [Fact]
    public void Unknown_comprehension_required_attribute_gets_420_listing_it()
    {
        byte[] request = Build((ref StunMessageWriter w) =>
            w.AddUsername("Srv1:cLnT") && w.AddPriority(5) && w.AddIceControlling(1) &&
            w.AddAttribute((StunAttributeType)0x7001, [1]) && w.AddAttribute((StunAttributeType)0x0003, []) &&
            w.AddAttribute((StunAttributeType)0x7001, [2]) && w.AddAttribute((StunAttributeType)0xC001, [3]) &&
            w.AddMessageIntegrity(LocalPassword) && w.AddFingerprint());

        var response = RespondAndParse(request, StunBindingOutcome.UnknownAttribute, out byte[] bytes);

        AssertError(bytes, 420);
        Assert.True(response.TryGetAttribute(StunAttributeType.UnknownAttributes, out var listed));
        Assert.Equal(new byte[] { 0x70, 0x01, 0x00, 0x03 }, listed.ToArray());
        Assert.True(response.VerifyMessageIntegrity(LocalPassword));
    }

    [Fact]
    public void Unknown_attribute_in_an_unauthenticated_check_gets_401_not_420()
    {
        byte[] request = Build((ref StunMessageWriter w) =>
            w.AddUsername("Srv1:cLnT") && w.AddPriority(5) && w.AddAttribute((StunAttributeType)0x7001, [1]) &&
            w.AddMessageIntegrity("wrong"u8) && w.AddFingerprint());

        RespondAndParse(request, StunBindingOutcome.Unauthorized, out _);
    }

    [Fact]
    public void Check_with_a_bad_fingerprint_is_ignored()
    {
        byte[] request = IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(12));
        request[^2] ^= 0x10;

        AssertIgnored(request);
    }

    [Fact]
    public void Indications_and_responses_are_ignored()
    {
        byte[] indication = Build((ref StunMessageWriter w) => w.AddFingerprint(), StunClass.Indication);
        AssertIgnored(indication);
        AssertIgnored(Rfc5769.SampleIPv4Response);
        byte[] otherMethod = Build((ref StunMessageWriter w) => w.AddFingerprint(), StunClass.Request, (StunMethod)0x003);
        AssertIgnored(otherMethod);
    }

    [Fact]
    public void Rfc5769_request_gets_a_role_conflict_since_it_claims_controlled()
    {
        // The RFC's sample request carries ICE-CONTROLLED and USERNAME "evtj:h6vY": as the "evtj" agent we must refuse the role.
        Assert.True(StunMessage.TryParse(Rfc5769.SampleRequest, out var request));
        Assert.True(StunTransportAddress.TryCreate([192, 0, 2, 1], 32853, out var remote));
        var buffer = new byte[256];

        var outcome = StunBindingResponder.Respond(request, "evtj"u8, Encoding.UTF8.GetBytes(Rfc5769.Password), remote, buffer, out int written);

        Assert.Equal(StunBindingOutcome.RoleConflict, outcome);
        AssertError(buffer[..written], 487);
    }

    [Fact]
    public void Every_too_small_destination_reports_it_and_writes_nothing()
    {
        byte[] request = IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(13));
        Assert.True(StunMessage.TryParse(request, out var check));
        Assert.True(StunTransportAddress.TryCreate(IPAddress.IPv6Loopback, 1234, out var remote));
        var large = new byte[256];
        Assert.Equal(StunBindingOutcome.Success, StunBindingResponder.Respond(check, LocalUfrag, LocalPassword, remote, large, out int needed));
        Assert.Equal(20 + 24 + 24 + 8, needed);

        for (int size = 0; size < needed; size++)
        {
            var outcome = StunBindingResponder.Respond(check, LocalUfrag, LocalPassword, remote, new byte[size], out int written);
            Assert.Equal(StunBindingOutcome.DestinationTooSmall, outcome);
            Assert.Equal(0, written);
        }
    }

    [Fact]
    public void Parse_verify_and_respond_allocate_nothing()
    {
        byte[] request = IceCheckBuilder.Chromium(IceCheckBuilder.TransactionId(14));
        Assert.True(StunTransportAddress.TryCreate([127, 0, 0, 1], 5000, out var remote));
        var buffer = new byte[256];
        RespondOnce(request, remote, buffer); // warm up: type initialisers, crypto provider

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            RespondOnce(request, remote, buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void RespondOnce(byte[] request, StunTransportAddress remote, byte[] buffer)
    {
        if (!StunMessage.TryParse(request, out var check) ||
            StunBindingResponder.Respond(check, LocalUfrag, LocalPassword, RemoteUfrag, remote, buffer, out _) != StunBindingOutcome.Success)
        {
            throw new InvalidOperationException("the check should succeed");
        }
    }

    private static void AssertIgnored(byte[] datagram)
    {
        Assert.True(StunMessage.TryParse(datagram, out var message));
        Assert.True(StunTransportAddress.TryCreate([127, 0, 0, 1], 1, out var remote));
        var buffer = new byte[256];

        var outcome = StunBindingResponder.Respond(message, LocalUfrag, LocalPassword, remote, buffer, out int written);

        Assert.Equal(StunBindingOutcome.Ignored, outcome);
        Assert.Equal(0, written);
    }

    private static StunMessage RespondAndParse(byte[] request, StunBindingOutcome expected, out byte[] responseBytes)
    {
        Assert.True(StunMessage.TryParse(request, out var check));
        Assert.True(StunTransportAddress.TryCreate([127, 0, 0, 1], 1, out var remote));
        var buffer = new byte[256];

        var outcome = StunBindingResponder.Respond(check, LocalUfrag, LocalPassword, RemoteUfrag, remote, buffer, out int written);

        Assert.Equal(expected, outcome);
        responseBytes = buffer[..written];
        Assert.True(StunMessage.TryParse(responseBytes, out var response));
        Assert.Equal(check.TransactionId.ToArray(), response.TransactionId.ToArray());
        return response;
    }

    private static void AssertError(byte[] responseBytes, int code, string? reason = null)
    {
        Assert.True(StunMessage.TryParse(responseBytes, out var response));
        Assert.Equal(StunClass.ErrorResponse, response.Class);
        Assert.Equal(StunMethod.Binding, response.Method);
        Assert.True(response.TryGetErrorCode(out int actual, out var phrase));
        Assert.Equal(code, actual);
        Assert.NotEqual(0, phrase.Length);
        if (reason is not null)
        {
            Assert.Equal(reason, Encoding.UTF8.GetString(phrase));
        }

        Assert.False(response.TryGetXorMappedAddress(out _));
        Assert.True(response.VerifyFingerprint());
        Assert.Equal(responseBytes.Length - 20, BinaryPrimitives.ReadUInt16BigEndian(responseBytes.AsSpan(2)));
    }

    private delegate bool AddAttributes(ref StunMessageWriter writer);

    private static byte[] Build(AddAttributes add, StunClass stunClass = StunClass.Request, StunMethod method = StunMethod.Binding)
    {
        var buffer = new byte[512];
        var writer = new StunMessageWriter(buffer);
        Assert.True(writer.Begin(stunClass, method, IceCheckBuilder.TransactionId(99)));
        Assert.True(add(ref writer));
        return buffer[..writer.BytesWritten];
    }
}
