using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// The remote addresses a leg takes media from: every one that passed a valid check lately (RFC 8445 §12.2: an agent must be
/// prepared to receive on any valid pair, not only the selected one). A browser goes on sending on its selected pair while it
/// checks others (during an ICE restart until it picks a new one, RFC 8445 §12.1; with several local candidates, on whichever
/// it chose while checks from the others arrive too), so binding only the last address checked dropped its media until its
/// next check. Each address is bound on the shared port while a valid check came from it within the consent timeout (RFC
/// 7675); at most <see cref="MaxPaths"/>, the one checked longest ago making room. SRTP authenticates what arrives on any.
/// </summary>
public sealed partial class WebRtcSession
{
    /// <summary>How many remote addresses one leg takes media from at once.</summary>
    public const int MaxPaths = 4;

    private readonly Lock _pathsGate = new();
    private readonly SocketAddress?[] _paths = new SocketAddress?[MaxPaths];
    private readonly long[] _pathChecked = new long[MaxPaths];

    /// <summary>How many remote addresses this leg takes media from now.</summary>
    public int PathCount
    {
        get
        {
            lock (_pathsGate)
            {
                var count = 0;
                foreach (var path in _paths)
                {
                    count += path is null ? 0 : 1;
                }
                return count;
            }
        }
    }

    /// <summary>A valid check came from <paramref name="source"/>: its address is (still) bound to this leg; returns the leg's copy of it.</summary>
    private SocketAddress NotePath(SocketAddress source)
    {
        var now = Stopwatch.GetTimestamp();
        SocketAddress copy;
        SocketAddress? evicted = null;
        lock (_pathsGate)
        {
            for (var i = 0; i < MaxPaths; i++)
            {
                if (_paths[i] is { } known && known.Equals(source))
                {
                    _pathChecked[i] = now;
                    return known;
                }
            }
            // A free place, or the place of the address checked longest ago (never the selected one).
            var selected = _peer.Selected;
            var slot = Array.IndexOf(_paths, null);
            if (slot < 0)
            {
                for (var i = 0; i < MaxPaths; i++)
                {
                    if (!_paths[i]!.Equals(selected) && (slot < 0 || _pathChecked[i] < _pathChecked[slot]))
                    {
                        slot = i;
                    }
                }
            }
            copy = new SocketAddress(source.Family, source.Size);
            source.Buffer.Span[..source.Size].CopyTo(copy.Buffer.Span);
            evicted = _paths[slot];
            _paths[slot] = copy;
            _pathChecked[slot] = now;
        }
        if (evicted is not null)
        {
            _port.Unbind(this, evicted);
        }
        _port.Bind(this, null, copy);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            var endpoint = new IPEndPoint(IPAddress.Any, 0).Create(copy);
            var count = PathCount;
            var ufrag = LocalUfrag;
            LogPath(_logger, ufrag, endpoint, count);
        }
        return copy;
    }

    /// <summary>Unbinds the addresses no valid check came from within <paramref name="timeout"/> (not the selected one: consent covers it).</summary>
    private void ForgetSilentPaths(long now, TimeSpan timeout)
    {
        var selected = _peer.Selected;
        lock (_pathsGate)
        {
            for (var i = 0; i < MaxPaths; i++)
            {
                if (_paths[i] is { } path && !path.Equals(selected) && Stopwatch.GetElapsedTime(_pathChecked[i], now) > timeout)
                {
                    _port.Unbind(this, path);
                    _paths[i] = null;
                }
            }
        }
    }

    /// <summary>The leg closed: none of its addresses reaches it any more.</summary>
    private void ForgetPaths()
    {
        lock (_pathsGate)
        {
            for (var i = 0; i < MaxPaths; i++)
            {
                if (_paths[i] is { } path)
                {
                    _port.Unbind(this, path);
                    _paths[i] = null;
                }
            }
        }
    }

    [LoggerMessage(EventId = 414, Level = LogLevel.Information, Message = "WebRTC leg {Ufrag}: media taken from {Address} ({Paths} address(es))")]
    private static partial void LogPath(ILogger logger, string ufrag, EndPoint address, int paths);
}
