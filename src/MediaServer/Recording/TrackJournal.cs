using MediaServer.Recording.Journal;
using MediaServer.Routing;

namespace MediaServer.Recording;

/// <summary>What a relay track holds to have its packets journaled: the visit's recorder and the track's id in it.</summary>
public sealed class TrackJournal(VisitRecorder recorder, uint trackId) : ITrackRecorder
{
    public VisitRecorder Recorder { get; } = recorder;
    public uint TrackId { get; } = trackId;

    public void OnRtp(ReadOnlySpan<byte> packet, long stopwatchTicks) => Recorder.OnRtp(TrackId, packet, stopwatchTicks);

    public void OnSenderReport(ReadOnlySpan<byte> senderReport, long stopwatchTicks) =>
        Recorder.OnSenderReport(TrackId, senderReport, stopwatchTicks);
}
