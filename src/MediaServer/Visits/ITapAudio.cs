using MediaServer.Routing;

namespace MediaServer.Visits;

/// <summary>
/// Decides what a tap's audio m-line carries when it is not each party's own stream (Monitoring's mixed audio,
/// <c>?audio=mixed</c>). Asked once, while the tap is planned and before it is constructed, with the party the planner built;
/// the tap is then built with the party and producer it returns, so a tap never changes shape after construction.
/// </summary>
public interface ITapAudio
{
    /// <summary>
    /// The party the tap is to have instead of <paramref name="planned"/> (the same video slots; audio slots that feed the
    /// producer) and the producer that sends on the tap's audio m-line; or the refusal when this tap cannot carry it, having
    /// changed nothing.
    /// </summary>
    JoinRefusal? TryPlan(Visit visit, RouterParty planned, out TapAudio audio);
}

/// <summary>A tap's own audio: the party the router fills and the producer, disposed when the tap closes.</summary>
public readonly record struct TapAudio(RouterParty Party, IDisposable Producer);
