using MediaServer.Codecs.Sdp;

namespace MediaServer.Codecs.Tests.Sdp;

/// <summary>The typed attribute readers on their own.</summary>
public sealed class SdpAttributeTests
{
    [Fact]
    public void Fmtp_parameters_are_case_insensitive_first_wins_and_keep_equals_signs_in_values()
    {
        Assert.True(SdpFmtp.TryParse("102 Profile-Level-Id=42e01f ; packetization-mode=1;;sprop-parameter-sets=Z0I=,aM4=;profile-level-id=ffffff;flag", out var fmtp, out _));

        Assert.Equal(102, fmtp!.PayloadType);
        Assert.Equal("42e01f", fmtp.Parameters["profile-level-id"]);
        Assert.Equal("Z0I=,aM4=", fmtp.Parameters["SPROP-PARAMETER-SETS"]);
        Assert.Equal("", fmtp.Parameters["flag"]);
        Assert.Equal(4, fmtp.Parameters.Count);
        Assert.True(fmtp.TryGetInt64("packetization-mode", out var mode));
        Assert.Equal(1, mode);
        Assert.False(fmtp.TryGetInt64("profile-level-id", out _));
        Assert.False(fmtp.TryGetParameter("missing", out _));
    }

    [Fact]
    public void Fmtp_with_no_parameters_reads_as_empty()
    {
        Assert.True(SdpFmtp.TryParse("96", out var fmtp, out _));
        Assert.Empty(fmtp!.Parameters);
        Assert.Equal("96", fmtp.ToString());
    }

    [Theory]
    [InlineData("111 opus/48000/2", 111, "opus", 48000, 2)]
    [InlineData("96 VP8/90000", 96, "VP8", 90000, null)]
    [InlineData("0  PCMU/8000", 0, "PCMU", 8000, null)]
    public void RtpMap_reads_payload_type_name_clock_rate_and_channels(string value, int pt, string name, int clock, int? channels)
    {
        Assert.True(SdpRtpMap.TryParse(value, out var map, out var error), error);
        Assert.Equal(new SdpRtpMap(pt, name, clock, channels), map);
    }

    [Fact]
    public void Fingerprint_accepts_lower_case_hex_and_writes_upper_case()
    {
        var hex = string.Join(':', Enumerable.Range(0, 32).Select(i => (i * 7).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

        Assert.True(SdpFingerprint.TryParse("SHA-256 " + hex, out var fingerprint, out var error), error);

        Assert.Equal("sha-256", fingerprint!.HashFunction);
        Assert.Equal(7 * 31, fingerprint.Value[31]);
        Assert.Equal("sha-256 " + hex.ToUpperInvariant(), fingerprint.ToString());
        Assert.Equal(new SdpFingerprint("sha-256", fingerprint.Value.ToArray()), fingerprint);
        Assert.False(fingerprint.Matches("sha-1", fingerprint.Value));
    }

    [Fact]
    public void Fingerprint_of_an_unknown_hash_function_is_kept_within_the_length_bound()
    {
        Assert.True(SdpFingerprint.TryParse("x-new AB:CD", out var fingerprint, out _));
        Assert.Equal([0xAB, 0xCD], fingerprint!.Value);
        var tooLong = string.Join(':', Enumerable.Repeat("AB", SdpFingerprint.MaxDigestLength + 1));
        Assert.False(SdpFingerprint.TryParse("x-new " + tooLong, out _, out var error));
        Assert.Contains("at most 64", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Extmap_reads_direction_and_extension_attributes()
    {
        Assert.True(SdpExtmap.TryParse("4096/recvonly urn:example:ext some attributes", out var extmap, out var error), error);
        Assert.Equal(new SdpExtmap(4096, "urn:example:ext", SdpDirection.RecvOnly, "some attributes"), extmap);
        Assert.Equal("4096/recvonly urn:example:ext some attributes", extmap!.ToString());
        Assert.False(SdpExtmap.TryParse("300 urn:x", out _, out _));
    }

    [Fact]
    public void RtcpFeedback_star_applies_to_every_payload_type()
    {
        Assert.True(SdpRtcpFeedback.TryParse("* ccm tmmbr smaxpr=120", out var feedback, out _));
        Assert.Equal(new SdpRtcpFeedback(null, "ccm", "tmmbr smaxpr=120"), feedback);
        Assert.True(feedback!.AppliesTo(0));
        Assert.True(feedback.AppliesTo(127));
        Assert.False(new SdpRtcpFeedback(96, "nack").AppliesTo(97));
    }

    [Fact]
    public void Ssrc_value_may_contain_spaces_and_colons()
    {
        Assert.True(SdpSsrc.TryParse("4294967295 msid:stream track:1", out var ssrc, out _));
        Assert.Equal(new SdpSsrc(uint.MaxValue, "msid", "stream track:1"), ssrc);
        Assert.True(SdpSsrc.TryParse("1 mslabel", out var flag, out _));
        Assert.Null(flag!.Value);
    }

    [Fact]
    public void Candidate_reads_the_core_fields_and_keeps_the_raw_text()
    {
        const string Raw = "842163049 1 udp 1686052607 198.51.100.23 51012 typ srflx raddr 192.168.1.5 rport 51012 generation 0";

        Assert.True(SdpCandidate.TryParse(Raw, out var candidate, out var error), error);

        Assert.Equal(new SdpCandidate(Raw, "842163049", 1, "udp", 1686052607, "198.51.100.23", 51012, "srflx", "192.168.1.5", 51012), candidate);
        var built = SdpCandidate.Create("1", 1, "UDP", 2130706431, "192.0.2.1", 40000, "host");
        Assert.True(SdpCandidate.TryParse(built.Raw, out var reparsed, out _));
        Assert.Equal(built, reparsed);
    }

    [Theory]
    [InlineData("IN IP4 224.2.1.1/127/3", "224.2.1.1", 127, 3)]
    [InlineData("IN IP4 224.2.1.1/127", "224.2.1.1", 127, null)]
    [InlineData("IN IP6 FF15::101/3", "FF15::101", null, 3)]
    [InlineData("IN IP4 127.0.0.1", "127.0.0.1", null, null)]
    public void Connection_reads_TTL_for_IP4_and_only_a_count_for_IP6(string line, string address, int? ttl, int? count)
    {
        var sdp = SdpAssert.Parses($"v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc={line}\nt=0 0\n");
        Assert.Equal((address, ttl, count), (sdp.Connection!.Address, sdp.Connection.Ttl, sdp.Connection.AddressCount));
        Assert.Equal(line, sdp.Connection.ToString());
    }

    [Fact]
    public void IP6_connection_with_a_TTL_is_rejected()
    {
        Assert.Contains("IP6 address 'FF15::101/127/3' has no TTL",
            SdpAssert.Fails("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP6 FF15::101/127/3\nt=0 0\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_accessor_on_a_hand_built_malformed_value_throws_naming_the_attribute()
    {
        var media = new MediaDescription("video", 9, "RTP/AVP", "96").AddAttribute("rtpmap", "96 VP8/fast");

        var error = Assert.Throws<FormatException>(() => media.RtpMaps);

        Assert.Equal("a=rtpmap: clock rate 'fast' is not a positive whole number", error.Message);
    }

    [Fact]
    public void Direction_names_round_trip_and_reverse_as_RFC_3264_answers_do()
    {
        foreach (var direction in Enum.GetValues<SdpDirection>())
        {
            Assert.True(SdpDirections.TryParse(direction.ToAttributeName(), out var parsed));
            Assert.Equal(direction, parsed);
        }
        Assert.Equal(SdpDirection.SendOnly, SdpDirection.RecvOnly.Reverse());
        Assert.Equal(SdpDirection.Inactive, SdpDirection.Inactive.Reverse());
        Assert.False(SdpDirections.TryParse("both", out _));
    }

    [Fact]
    public void Error_messages_cut_long_hostile_values_short()
    {
        var error = SdpAssert.Fails("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\na=rtpmap:0 PCMU/" + new string('9', 3000) + "\n");
        Assert.True(error.Length < 200, error);
        Assert.StartsWith("line 6: a=rtpmap: clock rate '9999", error, StringComparison.Ordinal);
    }
}
