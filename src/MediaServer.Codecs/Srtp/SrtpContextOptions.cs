namespace MediaServer.Codecs.Srtp;

/// <summary>Tunables of an <see cref="SrtpContext"/>; the defaults suit a WebRTC leg.</summary>
public sealed record SrtpContextOptions
{
    /// <summary>The default replay window, the minimum RFC 3711 §3.3.2 allows.</summary>
    public const int DefaultReplayWindowSize = 64;

    /// <summary>The largest replay window a context accepts (video bursts reorder, but not by more than this).</summary>
    public const int MaxReplayWindowSize = 1024;

    /// <summary>The default number of SSRCs one context will track.</summary>
    public const int DefaultMaxSsrcs = 32;

    /// <summary>Packets accepted behind the highest index seen, 64..1024 (RFC 3711 §3.3.2).</summary>
    public int ReplayWindowSize { get; init; } = DefaultReplayWindowSize;

    /// <summary>SSRCs tracked before packets of further SSRCs are refused. Each costs a little memory up front.</summary>
    public int MaxSsrcs { get; init; } = DefaultMaxSsrcs;

    /// <summary>The defaults.</summary>
    public static SrtpContextOptions Default { get; } = new();

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ReplayWindowSize, DefaultReplayWindowSize, nameof(ReplayWindowSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReplayWindowSize, MaxReplayWindowSize, nameof(ReplayWindowSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSsrcs, 1, nameof(MaxSsrcs));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSsrcs, 4096, nameof(MaxSsrcs));
    }
}
