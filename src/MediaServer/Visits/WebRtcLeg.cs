using MediaServer.Codecs.Sdp;
using MediaServer.Transport.WebRtc;

namespace MediaServer.Visits;

/// <summary>
/// What a WebRTC leg keeps of its negotiation so that its ICE can be restarted by a new offer on the same leg (RFC 9725 §4.3,
/// RFC 8839 §4.4.1.1.1): the offer it was joined with (its m-lines and DTLS fingerprints must stay), the peer's current ICE
/// credentials (a restart changes them) and what the answer said, which is written again with the session's new credentials.
/// </summary>
public sealed class WebRtcLeg
{
    private readonly Lock _lock = new();
    private readonly IReadOnlyList<AnsweredMedia> _answers;
    private readonly SdpOffers.WebRtcAnswerInfo _answerInfo;
    private string _remoteUfrag;
    private string _remotePwd;

    internal WebRtcLeg(WebRtcSession session, MediaOffer offer, IReadOnlyList<AnsweredMedia> answers, SdpOffers.WebRtcAnswerInfo answerInfo)
    {
        Session = session;
        Offer = offer;
        _answers = answers;
        _answerInfo = answerInfo;
        _remoteUfrag = offer.WebRtc!.IceUfrag;
        _remotePwd = offer.WebRtc.IcePwd;
    }

    public WebRtcSession Session { get; }

    /// <summary>The offer the leg was joined with.</summary>
    public MediaOffer Offer { get; }

    private int _watched;

    /// <summary>True once: the first caller subscribes to the session's <see cref="WebRtcSession.Latched"/>.</summary>
    internal bool TryWatch() => Interlocked.Exchange(ref _watched, 1) == 0;

    /// <summary>When the restart under way started (null: none), and the leg's packet count then: media after it is on the new path.</summary>
    internal (DateTimeOffset At, DateTimeOffset? AwaySince)? Pending { get; set; }

    /// <summary>How many ICE restarts this leg has had.</summary>
    public int Restarts { get; private set; }

    /// <summary>
    /// Restarts ICE for <paramref name="offer"/>: the answer (the first one, with the session's new credentials), or why not —
    /// not a WebRTC offer, the same ICE credentials (not a restart), other m-lines or another fingerprint (a new connection,
    /// which is a new join).
    /// </summary>
    public (string? Answer, JoinRefusal? Refusal) Restart(MediaOffer offer)
    {
        if (offer.WebRtc is not { } webRtc)
        {
            return (null, new JoinRefusal(ProblemTypes.InvalidOffer, 400, "Bad request", "The offer is not a WebRTC offer."));
        }
        if (Mismatch(offer) is { } mismatch)
        {
            return (null, new JoinRefusal(ProblemTypes.OfferMismatch, 422, "Offer does not match the leg",
                mismatch + " An ICE restart keeps the leg's m-lines, BUNDLE and DTLS fingerprint; anything else is a new join."));
        }
        lock (_lock)
        {
            // RFC 8839 §4.4.1.1.1: an ICE restart changes both the ufrag and the password.
            if (webRtc.IceUfrag == _remoteUfrag || webRtc.IcePwd == _remotePwd)
            {
                return (null, new JoinRefusal(ProblemTypes.NotIceRestart, 400, "Not an ICE restart",
                    "The offer keeps the leg's ICE ufrag or password; an ICE restart offer carries new ones (RFC 8839 §4.4.1.1.1)."));
            }
            _remoteUfrag = webRtc.IceUfrag;
            _remotePwd = webRtc.IcePwd;
            Session.RestartIce(webRtc.IceUfrag);
            Restarts++;
            var info = _answerInfo with { IceUfrag = Session.LocalUfrag, IcePwd = Session.LocalPassword };
            return (SdpOffers.WriteWebRtcAnswer(_answers, info), null);
        }
    }

    /// <summary>What differs from the joined offer that an ICE restart may not change; null when nothing does.</summary>
    private string? Mismatch(MediaOffer offer)
    {
        var before = Offer.Media;
        var now = offer.Media;
        if (now.Count != before.Count)
        {
            return $"The offer has {now.Count} m-lines; the leg was joined with {before.Count}.";
        }
        for (var i = 0; i < now.Count; i++)
        {
            if (now[i].Media != before[i].Media || now[i].Mid != before[i].Mid || (now[i].Port == 0) != (before[i].Port == 0))
            {
                return $"M-line {i + 1} is '{now[i].Media}' mid '{now[i].Mid}'; the leg's is '{before[i].Media}' mid '{before[i].Mid}'.";
            }
        }
        var fingerprints = Offer.WebRtc!.Fingerprints;
        var offered = offer.WebRtc!.Fingerprints;
        if (offered.Count != fingerprints.Count || !offered.All(f => fingerprints.Contains(f)))
        {
            return "The offer's DTLS fingerprint is not the leg's (a DTLS restart, RFC 8842 §5.6).";
        }
        return null;
    }
}
