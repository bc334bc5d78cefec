using MediaServer.Testing;
using MediaServer.Testing.Ffmpeg;
using MediaServer.Testing.Sdp;

namespace MediaServer.IntegrationTests.Harness.Ffmpeg;

/// <summary>Assertions about what an FFmpeg receiver recorded, with the FFmpeg log in every failure message.</summary>
public static class MediaAssert
{
    /// <summary>At least this share of the frames a party sent must decode at the receiver.</summary>
    public const double MinimumFrameShare = 0.9;

    /// <summary>
    /// The video slot holds <paramref name="from"/>'s picture (its size, which no other party uses) in the codec it sent,
    /// with at least 90% of the frames it sent decodable; <paramref name="receiver"/> never gets its own picture back.
    /// </summary>
    public static void VideoSlotCarries(SlotRecording slot, FfmpegPeer from, FfmpegPeer receiver)
    {
        var where = $"{receiver.Name} {slot}";
        Assert.True(slot.Media.Kind == "video", $"{where} is not a video slot");
        Assert.True(slot.GotMedia, $"{where}: expected {from.Media}'s video, recorded nothing.\n{slot.Diagnostics}");
        var stream = slot.Stream!;
        Assert.True(stream.CodecType == "video", $"{where}: expected video, got {stream}");
        Assert.True(
            (stream.Width, stream.Height) != (receiver.Media.Width, receiver.Media.Height),
            $"{where}: got its OWN picture ({receiver.Media.Size}) back instead of {from.Media}");
        Assert.True(
            (stream.Width, stream.Height) == (from.Media.Width, from.Media.Height),
            $"{where}: expected {from.Media}'s {from.Media.Size} picture, got {stream.Width}x{stream.Height}");
        var expectedCodec = from.Codec == VideoCodec.Vp8 ? "vp8" : "h264";
        Assert.True(stream.CodecName == expectedCodec, $"{where}: expected {expectedCodec}, got {stream.CodecName}");
        var needed = (long)Math.Ceiling(MinimumFrameShare * from.VideoFramesSent);
        Assert.True(
            stream.ReadFrames >= needed,
            $"{where}: decoded {stream.ReadFrames} of the {from.VideoFramesSent} frames {from.Name} sent (need >= {needed}).\n{slot.Diagnostics}");
    }

    /// <summary>The audio slot holds Opus carrying <paramref name="from"/>'s tone (within 5%), not the receiver's own.</summary>
    public static void AudioSlotCarries(SlotRecording slot, FfmpegPeer from, FfmpegPeer receiver)
    {
        var where = $"{receiver.Name} {slot}";
        Assert.True(slot.Media.Kind == "audio", $"{where} is not an audio slot");
        Assert.True(slot.GotMedia, $"{where}: expected {from.Media}'s audio, recorded nothing.\n{slot.Diagnostics}");
        Assert.True(slot.Stream!.CodecName == "opus", $"{where}: expected opus, got {slot.Stream}");
        var tone = slot.Tone ?? throw new InvalidOperationException($"{where}: no tone estimate");
        Assert.True(tone.Rms > 500, $"{where}: the audio is (near) silent: {tone}\n{slot.Diagnostics}");
        Assert.True(
            Math.Abs(tone.FrequencyHz - receiver.Media.ToneHz) > receiver.Media.ToneHz * 0.05,
            $"{where}: got its OWN tone ({receiver.Media.ToneHz} Hz) back instead of {from.Media}: {tone}");
        Assert.True(
            Math.Abs(tone.FrequencyHz - from.Media.ToneHz) <= from.Media.ToneHz * 0.05,
            $"{where}: expected {from.Media}'s {from.Media.ToneHz} Hz tone, measured {tone}");
    }

    /// <summary>Both slots of a video+audio pair carry <paramref name="from"/>.</summary>
    public static void PairCarries(PeerRecording recording, int videoSlot, FfmpegPeer from, FfmpegPeer receiver)
    {
        VideoSlotCarries(recording.Slots[videoSlot], from, receiver);
        AudioSlotCarries(recording.Slots[videoSlot + 1], from, receiver);
    }

    /// <summary>
    /// The answer is what RFC 3264 §6 asks of an answer to our offer: one m-line per offered one, same kind and order,
    /// RTP/AVP kept, only codecs we offered, a 127.0.0.1 address and ports inside the server's configured range.
    /// </summary>
    public static SdpDescription AnswerFits(string answerSdp, PlainRtpOffer offer, ServerProcess server)
    {
        var answer = SdpDescription.Parse(answerSdp);
        Assert.True(answer.Media.Count == offer.Media.Count, $"The answer has {answer.Media.Count} m-lines for {offer.Media.Count} offered:\n{answerSdp}");
        for (var i = 0; i < offer.Media.Count; i++)
        {
            var offered = offer.Media[i];
            var answered = answer.Media[i];
            Assert.True(answered.Kind == offered.Kind, $"m-line {i}: offered {offered.Kind}, answered {answered.Kind}:\n{answerSdp}");
            Assert.True(answered.Protocol == "RTP/AVP", $"m-line {i}: answered protocol {answered.Protocol}:\n{answerSdp}");
            Assert.True(answered.ConnectionAddress == "127.0.0.1", $"m-line {i}: answered address {answered.ConnectionAddress}:\n{answerSdp}");
            Assert.True(
                answered.Port >= server.RtpPortMin && answered.Port <= server.RtpPortMax,
                $"m-line {i}: answered port {answered.Port} outside {server.RtpPortMin}-{server.RtpPortMax}:\n{answerSdp}");
            var offeredNames = offered.Formats.Select(f => f.RtpMap.Split('/')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var pt in answered.Formats)
            {
                Assert.True(
                    answered.RtpMaps.TryGetValue(pt, out var map) && offeredNames.Contains(map.EncodingName),
                    $"m-line {i}: the answer names payload type {pt} which is not one of the offered {string.Join(',', offeredNames)}:\n{answerSdp}");
            }
        }

        return answer;
    }
}
