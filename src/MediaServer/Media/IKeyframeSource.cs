namespace MediaServer.Media;

/// <summary>Asks the sender of a track for a keyframe (RTCP PLI, RFC 4585 §6.3.1) through whatever transport it came on.</summary>
public interface IKeyframeSource
{
    /// <param name="mediaSsrc">The SSRC the sender uses for the track (as it arrived, before the relay rewrote it).</param>
    void RequestKeyframe(uint mediaSsrc);
}
