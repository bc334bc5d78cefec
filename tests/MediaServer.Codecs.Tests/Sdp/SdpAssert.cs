using MediaServer.Codecs.Sdp;

namespace MediaServer.Codecs.Tests.Sdp;

/// <summary>Field-by-field model equality with messages that say which field differs.</summary>
internal static class SdpAssert
{
    public static void Equal(SessionDescription expected, SessionDescription actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Origin, actual.Origin);
        Assert.Equal(expected.SessionName, actual.SessionName);
        Assert.Equal(expected.Information, actual.Information);
        Assert.Equal(expected.Uri, actual.Uri);
        Assert.Equal(expected.Emails, actual.Emails);
        Assert.Equal(expected.Phones, actual.Phones);
        Assert.Equal(expected.Connection, actual.Connection);
        Assert.Equal(expected.Bandwidths, actual.Bandwidths);
        Assert.Equal(expected.Timings.Count, actual.Timings.Count);
        for (var i = 0; i < expected.Timings.Count; i++)
        {
            Assert.Equal(expected.Timings[i].StartTime, actual.Timings[i].StartTime);
            Assert.Equal(expected.Timings[i].StopTime, actual.Timings[i].StopTime);
            Assert.Equal(expected.Timings[i].Repeats, actual.Timings[i].Repeats);
        }
        Assert.Equal(expected.TimeZones, actual.TimeZones);
        Assert.Equal(expected.EncryptionKey, actual.EncryptionKey);
        Assert.Equal(expected.Attributes, actual.Attributes);
        Assert.Equal(expected.Media.Count, actual.Media.Count);
        for (var i = 0; i < expected.Media.Count; i++)
        {
            Equal(expected.Media[i], actual.Media[i]);
            Assert.Same(actual, actual.Media[i].Session);
        }
    }

    public static void Equal(MediaDescription expected, MediaDescription actual)
    {
        Assert.Equal(expected.Media, actual.Media);
        Assert.Equal(expected.Port, actual.Port);
        Assert.Equal(expected.PortCount, actual.PortCount);
        Assert.Equal(expected.Protocol, actual.Protocol);
        Assert.Equal(expected.Formats, actual.Formats);
        Assert.Equal(expected.Information, actual.Information);
        Assert.Equal(expected.Connection, actual.Connection);
        Assert.Equal(expected.Bandwidths, actual.Bandwidths);
        Assert.Equal(expected.EncryptionKey, actual.EncryptionKey);
        Assert.Equal(expected.Attributes, actual.Attributes);
    }

    public static SessionDescription Parses(string text)
    {
        var result = SdpParser.Parse(text);
        Assert.True(result.Success, result.Error);
        return result.Description;
    }

    public static string Fails(string text, SdpLimits? limits = null)
    {
        var result = SdpParser.ParseUnguarded(text, limits ?? SdpLimits.Default);
        Assert.False(result.Success, "expected the SDP to be rejected");
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
        return result.Error;
    }
}
