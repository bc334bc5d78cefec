using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MediaServer.Codecs.Stun;
using Microsoft.Extensions.Logging;

namespace MediaServer.Transport.WebRtc;

/// <summary>
/// ICE restart of a leg (RFC 8445 §9, RFC 8839 §4.4.1.1.1): the browser's new offer carries new credentials, the session
/// answers with new ones of its own, and the first valid check on them moves media to that path. DTLS is not restarted
/// (the fingerprint is unchanged, RFC 8842 §5.6), so the SRTP contexts, sequence numbers and rollover counters go on.
/// </summary>
public sealed partial class WebRtcSession
{
    /// <summary>Raised once per ICE restart, off the receive loop, when the first valid check on the new credentials latched its path.</summary>
    public event Action<WebRtcSession>? Latched;

    /// <summary>Whether an ICE restart is waiting for its first valid check.</summary>
    public bool IsRestarting => Volatile.Read(ref _previousIce) is not null;

    /// <summary>
    /// New local credentials for <paramref name="remoteUfrag"/> (the new offer's): checks with the old ones are still answered,
    /// so a path that works keeps carrying media until the new one is checked. A leg that had failed (consent lost) is given a
    /// new <see cref="WebRtcOptions.ConnectTimeout"/> to be checked again.
    /// </summary>
    public void RestartIce(string remoteUfrag)
    {
        var next = IceCredentials.Create(remoteUfrag);
        var current = Volatile.Read(ref _ice);
        // A second restart before the first was checked: the path in use answers to the credentials before both.
        if (Interlocked.CompareExchange(ref _previousIce, current, null) is not null)
        {
            _port.UnregisterUfrag(current.LocalUfrag, this);
        }
        Volatile.Write(ref _ice, next);
        Volatile.Write(ref _createdTicks, Stopwatch.GetTimestamp());
        Volatile.Write(ref _lastConsentTicks, 0);
        Volatile.Write(ref _failed, 0);
        _port.Register(this);
        LogRestart(_logger, current.LocalUfrag, next.LocalUfrag);
    }

    /// <summary>On the receive loop: the first valid check on the new credentials; the old ones are forgotten.</summary>
    private void CompleteRestart(IceCredentials previous)
    {
        if (Interlocked.CompareExchange(ref _previousIce, null, previous) != previous)
        {
            return;
        }
        _port.UnregisterUfrag(previous.LocalUfrag, this);
        ThreadPool.QueueUserWorkItem(_ =>
        {
            // What was lost on the way needs a keyframe: each receiver of this leg asks its source for one.
            if (IsSecure)
            {
                foreach (var stream in _routes.Outgoing)
                {
                    stream.OnTransportReady();
                }
            }
            Latched?.Invoke(this);
        });
    }

    private static bool IsFor(in StunMessage request, IceCredentials credentials) =>
        request.TryGetUsername(out var username) && IceUsername.TryParse(username, out var local, out _)
        && local.SequenceEqual(credentials.LocalUfragBytes);

    /// <summary>One set of ICE credentials: ours (RFC 8839 §5.4: ufrag ≥ 24 bits, pwd ≥ 128 bits of randomness) and the peer's ufrag.</summary>
    private sealed class IceCredentials
    {
        private IceCredentials(string localUfrag, string localPassword, string remoteUfrag)
        {
            LocalUfrag = localUfrag;
            LocalPassword = localPassword;
            LocalUfragBytes = Encoding.ASCII.GetBytes(localUfrag);
            LocalPasswordBytes = Encoding.ASCII.GetBytes(localPassword);
            RemoteUfragBytes = Encoding.ASCII.GetBytes(remoteUfrag);
        }

        public string LocalUfrag { get; }
        public string LocalPassword { get; }
        public byte[] LocalUfragBytes { get; }
        public byte[] LocalPasswordBytes { get; }
        public byte[] RemoteUfragBytes { get; }

        public static IceCredentials Create(string remoteUfrag) => new(RandomIceString(8), RandomIceString(24), remoteUfrag);

        private static string RandomIceString(int length)
        {
            const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            Span<char> chars = stackalloc char[length];
            for (var i = 0; i < length; i++)
            {
                chars[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
            }
            return new string(chars);
        }
    }

    [LoggerMessage(EventId = 413, Level = LogLevel.Information, Message = "WebRTC leg {Ufrag}: ICE restart, now {NewUfrag}")]
    private static partial void LogRestart(ILogger logger, string ufrag, string newUfrag);
}
