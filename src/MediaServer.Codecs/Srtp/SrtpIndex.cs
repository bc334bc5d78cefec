namespace MediaServer.Codecs.Srtp;

/// <summary>The 48-bit SRTP packet index, i = 2^16 * ROC + SEQ (RFC 3711 §3.3.1).</summary>
internal static class SrtpIndex
{
    /// <summary>
    /// RFC 3711 §3.3.1 and Appendix A: guesses the index of sequence number <paramref name="seq"/> from the highest
    /// index seen, taking the ROC that puts it within half the sequence space of the highest. With no history the ROC
    /// is 0. False when the guess would need a ROC below 0 or above 2^32 - 1 (a stream that must be rekeyed).
    /// </summary>
    public static bool TryEstimate(bool hasHighest, ulong highest, ushort seq, out ulong index)
    {
        if (!hasHighest)
        {
            index = seq;
            return true;
        }

        long roc = (long)(highest >> 16);
        int highestSeq = (int)(highest & 0xFFFF);
        long v;
        if (highestSeq < 32768)
        {
            v = seq - highestSeq > 32768 ? roc - 1 : roc;
        }
        else
        {
            v = highestSeq - 32768 > seq ? roc + 1 : roc;
        }

        if (v is < 0 or > uint.MaxValue)
        {
            index = 0;
            return false;
        }

        index = ((ulong)v << 16) | seq;
        return true;
    }
}
