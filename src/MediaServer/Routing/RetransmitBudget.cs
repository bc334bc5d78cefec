using System.Diagnostics;

namespace MediaServer.Routing;

/// <summary>
/// One receiver's retransmission byte budget: a token bucket that fills with <see cref="FeedbackPolicy.RetransmitShare"/> of
/// the payload bytes the receiver is sent plus <see cref="FeedbackPolicy.RetransmitFloorBytesPerSecond"/>, up to
/// <see cref="FeedbackPolicy.RetransmitBurstBytes"/>. A new budget starts with a full burst. Used only by the receiver's RTCP
/// loop (the delivered count it is given is read across threads by the caller).
/// </summary>
public sealed class RetransmitBudget
{
    private double _tokens;
    private long _refilledAt;
    private long _deliveredMark;

    /// <summary>Bytes that may be resent now (negative while a keyframe's overdraft is being repaid).</summary>
    public double Tokens => _tokens;

    /// <summary>Adds what the budget earned under <paramref name="policy"/> since it was last looked at, given the payload bytes delivered so far.</summary>
    public void Refill(FeedbackPolicy policy, long nowTicks, long delivered)
    {
        if (_refilledAt == 0)
        {
            _tokens = policy.RetransmitBurstBytes;
        }
        else
        {
            var seconds = (nowTicks - _refilledAt) / (double)Stopwatch.Frequency;
            var earned = seconds * policy.RetransmitFloorBytesPerSecond + (delivered - _deliveredMark) * policy.RetransmitShare;
            _tokens = Math.Min(policy.RetransmitBurstBytes, _tokens + earned);
        }
        _refilledAt = nowTicks;
        _deliveredMark = delivered;
    }

    /// <summary>
    /// Takes <paramref name="bytes"/> if the budget holds them; with <paramref name="overdraw"/> (a packet of a keyframe already
    /// admitted whole) takes them anyway, to be repaid before anything else is admitted.
    /// </summary>
    public bool TrySpend(int bytes, bool overdraw)
    {
        if (!overdraw && _tokens < bytes)
        {
            return false;
        }
        _tokens -= bytes;
        return true;
    }
}
