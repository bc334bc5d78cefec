namespace MediaServer.Codecs.Srtp;

/// <summary>
/// The receiver's replay list of RFC 3711 §3.3.2: the highest index accepted and a bitmap of which of the indices
/// just behind it were seen. The bitmap is circular (bit = index mod capacity), so advancing by one packet clears one
/// bit instead of shifting the whole map.
/// </summary>
internal sealed class ReplayWindow
{
    private readonly ulong[] _bits;
    private readonly ulong _size;
    private readonly ulong _mask;

    public ReplayWindow(int size)
    {
        _size = (ulong)size;
        int capacity = (int)Math.Max(64, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size));
        _bits = new ulong[capacity / 64];
        _mask = (ulong)capacity - 1;
    }

    /// <summary>False until the first packet is accepted.</summary>
    public bool HasHighest { get; private set; }

    /// <summary>The highest index accepted so far.</summary>
    public ulong Highest { get; private set; }

    /// <summary>Whether <paramref name="index"/> may still be accepted; changes nothing.</summary>
    public SrtpResult Check(ulong index)
    {
        if (!HasHighest || index > Highest)
        {
            return SrtpResult.Ok;
        }

        if (Highest - index >= _size)
        {
            return SrtpResult.TooOld;
        }

        return IsSet(index) ? SrtpResult.Replayed : SrtpResult.Ok;
    }

    /// <summary>Records <paramref name="index"/> as received; call only after <see cref="Check"/> and authentication pass.</summary>
    public void Accept(ulong index)
    {
        if (!HasHighest)
        {
            Array.Clear(_bits);
            Highest = index;
            HasHighest = true;
        }
        else if (index > Highest)
        {
            ulong advance = index - Highest;
            if (advance > _mask)
            {
                Array.Clear(_bits);
            }
            else
            {
                // The positions the window slides over belong to indices not yet seen.
                for (ulong skipped = Highest + 1; skipped < index; skipped++)
                {
                    Clear(skipped);
                }
            }

            Highest = index;
        }

        Set(index);
    }

    private bool IsSet(ulong index)
    {
        ulong bit = index & _mask;
        return (_bits[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
    }

    private void Set(ulong index)
    {
        ulong bit = index & _mask;
        _bits[bit >> 6] |= 1UL << (int)(bit & 63);
    }

    private void Clear(ulong index)
    {
        ulong bit = index & _mask;
        _bits[bit >> 6] &= ~(1UL << (int)(bit & 63));
    }
}
