namespace MediaServer.Routing;

/// <summary>
/// Where a recorded track hands what its sender sends, as it arrived (before any receiver's rewrite): the recording implements
/// it, the router only calls it. Both run on the sender's receive loops: they copy, never block.
/// </summary>
public interface ITrackRecorder
{
    void OnRtp(ReadOnlySpan<byte> packet, long stopwatchTicks);

    /// <param name="senderReport">One RTCP sender report (RFC 3550 §6.4.1) of the track's current SSRC.</param>
    void OnSenderReport(ReadOnlySpan<byte> senderReport, long stopwatchTicks);
}
