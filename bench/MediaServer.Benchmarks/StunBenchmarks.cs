using System.Net;
using BenchmarkDotNet.Attributes;
using MediaServer.Codecs.Stun;

namespace MediaServer.Benchmarks;

/// <summary>The ICE-lite hot path: a browser's connectivity check in, our answer out (RFC 8445 §7.3).</summary>
[MemoryDiagnoser]
public class StunBenchmarks
{
    private static readonly byte[] LocalUfrag = "Srv1"u8.ToArray();
    private static readonly byte[] LocalPassword = "s3rverPassw0rd/WithEnough+Chars"u8.ToArray();

    private readonly byte[] _response = new byte[256];
    private byte[] _request = [];
    private StunTransportAddress _remote;

    [GlobalSetup]
    public void Setup()
    {
        // Shaped as Chromium sends it: USERNAME, GOOG-NETWORK-INFO, ICE-CONTROLLING, USE-CANDIDATE, PRIORITY,
        // MESSAGE-INTEGRITY, FINGERPRINT.
        var buffer = new byte[256];
        var writer = new StunMessageWriter(buffer);
        byte[] transactionId = new byte[12];
        new Random(1).NextBytes(transactionId);
        if (!(writer.Begin(StunClass.Request, StunMethod.Binding, transactionId) &&
              writer.AddUsername("Srv1:cLnT") &&
              writer.AddAttribute((StunAttributeType)0xC057, [0, 1, 0, 10]) &&
              writer.AddIceControlling(0x0123456789ABCDEF) &&
              writer.AddUseCandidate() &&
              writer.AddPriority(0x6E7F1EFF) &&
              writer.AddMessageIntegrity(LocalPassword) &&
              writer.AddFingerprint()))
        {
            throw new InvalidOperationException("could not build the check");
        }

        _request = buffer[..writer.BytesWritten];
        if (!StunTransportAddress.TryCreate(IPAddress.Loopback, 50000, out _remote))
        {
            throw new InvalidOperationException("no address");
        }
    }

    [Benchmark]
    public bool ParseAndVerifyBindingRequest() =>
        StunMessage.TryParse(_request, out var message) && message.VerifyFingerprint() && message.VerifyMessageIntegrity(LocalPassword);

    [Benchmark]
    public int WriteSuccessResponse()
    {
        var writer = new StunMessageWriter(_response);
        _ = writer.Begin(StunClass.SuccessResponse, StunMethod.Binding, _request.AsSpan(8, 12)) &&
            writer.AddXorMappedAddress(_remote) &&
            writer.AddMessageIntegrity(LocalPassword) &&
            writer.AddFingerprint();
        return writer.BytesWritten;
    }

    [Benchmark]
    public int RespondToBindingRequest()
    {
        _ = StunMessage.TryParse(_request, out var message);
        _ = StunBindingResponder.Respond(message, LocalUfrag, LocalPassword, _remote, _response, out int written);
        return written;
    }
}
