using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MediaServer.Testing.Sdp;

namespace MediaServer.LoadGen;

/// <summary>The UDP sockets of one m-line of our offer: RTP on an even port, RTCP on the next (RFC 3550 §11).</summary>
internal sealed class ReceivePair(Socket rtp, Socket rtcp, int port, bool video) : IDisposable
{
    public Socket Rtp { get; } = rtp;
    public Socket Rtcp { get; } = rtcp;
    public int Port { get; } = port;
    public bool IsVideo { get; } = video;

    public void Dispose()
    {
        Rtp.Dispose();
        Rtcp.Dispose();
    }
}

/// <summary>Hands out bound even/odd UDP pairs on 127.0.0.1 from a range, skipping pairs something else holds.</summary>
internal sealed class ClientPorts(int first, int last)
{
    private int _next = first % 2 == 0 ? first : first + 1;

    public ReceivePair Allocate(bool video)
    {
        while (_next + 1 <= last)
        {
            var port = _next;
            _next += 2;
            var rtp = TryBind(port);
            if (rtp is null)
            {
                continue;
            }
            var rtcp = TryBind(port + 1);
            if (rtcp is null)
            {
                rtp.Dispose();
                continue;
            }
            return new ReceivePair(rtp, rtcp, port, video);
        }
        throw new InvalidOperationException($"The client port range {first}-{last} is exhausted.");
    }

    private static Socket? TryBind(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = 1 << 20;
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return socket;
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }
}

/// <summary>
/// One kiosk or visitor of one visit, as a plain-RTP client (docs/api.md, "SDP rules for join and tap"): a sendrecv video+audio pair that publishes its
/// own media and receives the first other party, and recvonly pairs for the rest. It sends from its own socket on 127.0.0.1; the
/// server latches that address from the first packet.
/// </summary>
internal sealed class Party : IDisposable
{
    public Party(int index, int visitIndex, string visitId, string participantId, bool isKiosk, int slotPairs, ClientPorts ports)
    {
        Index = index;
        VisitIndex = visitIndex;
        VisitId = visitId;
        ParticipantId = participantId;
        IsKiosk = isKiosk;
        var pairs = new List<ReceivePair>();
        for (var i = 0; i < slotPairs; i++)
        {
            pairs.Add(ports.Allocate(video: true));
            pairs.Add(ports.Allocate(video: false));
        }
        MediaLines = pairs;
        SendSocket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 1 << 20 };
        SendSocket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public int Index { get; }
    public int VisitIndex { get; }
    public string VisitId { get; }
    public string ParticipantId { get; }
    public bool IsKiosk { get; }

    /// <summary>In offer order: video, audio, video, audio, ...; the first pair is sendrecv.</summary>
    public IReadOnlyList<ReceivePair> MediaLines { get; }

    public Socket SendSocket { get; }
    public string? Token { get; set; }
    public Uri? Leg { get; set; }

    /// <summary>Where the server receives our video and audio (the answer's first video and audio m-lines).</summary>
    public SocketAddress? VideoDestination { get; private set; }

    public SocketAddress? AudioDestination { get; private set; }

    /// <summary>The first video+audio pair sends and receives; the others only receive (one pair per other party).</summary>
    public string Offer()
    {
        var offer = new PlainRtpOffer();
        for (var i = 0; i < MediaLines.Count; i++)
        {
            var line = MediaLines[i];
            var direction = i < 2 ? MediaDirection.SendRecv : MediaDirection.RecvOnly;
            if (line.IsVideo)
            {
                offer.AddVideo(line.Port, direction, VideoCodec.Vp8);
            }
            else
            {
                offer.AddAudio(line.Port, direction);
            }
        }
        return offer.Build();
    }

    /// <summary>Reads the ports of the answer's first video and audio m-lines (RFC 3264 §6: the answer keeps the offer's order).</summary>
    public void ApplyAnswer(string answer)
    {
        var sdp = SdpDescription.Parse(answer);
        VideoDestination = Destination(sdp, "video");
        AudioDestination = Destination(sdp, "audio");
        if (VideoDestination is null || AudioDestination is null)
        {
            throw new InvalidOperationException($"The answer for {ParticipantId} has no accepted video and audio m-line:\n{answer}");
        }
    }

    private static SocketAddress? Destination(SdpDescription answer, string kind) =>
        answer.Media.FirstOrDefault(m => m.Kind == kind && m.Port != 0) is { } media
            ? new IPEndPoint(IPAddress.Parse(media.ConnectionAddress ?? "127.0.0.1"), media.Port).Serialize()
            : null;

    public void Dispose()
    {
        SendSocket.Dispose();
        foreach (var line in MediaLines)
        {
            line.Dispose();
        }
    }
}
