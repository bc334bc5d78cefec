using System.Globalization;

namespace MediaServer.LoadGen;

/// <summary>Command line of the load generator; every knob has a bound so a run always ends by itself.</summary>
internal sealed record Options
{
    public int Visits { get; init; } = 1;
    public int Seconds { get; init; } = 20;
    public int Visitors { get; init; } = 1;
    public string? ServerDll { get; init; }
    public Uri? Url { get; init; }
    public string? Token { get; init; }
    public int? ServerPid { get; init; }
    public int Seed { get; init; } = 1;
    public int VideoKbps { get; init; } = 1200;
    public int VideoPacketBytes { get; init; } = 1200;
    public int AudioPacketBytes { get; init; } = 120;
    public int TickMilliseconds { get; init; } = 5;
    public int WarmUpSeconds { get; init; } = 10;
    public int IdleSeconds { get; init; }

    /// <summary>No server: every party sends straight to every other party's sockets, to measure the load generator and the kernel alone.</summary>
    public bool Direct { get; init; }

    /// <summary>Set-up only, for bench/relay/run.sh: join --visits two-party visits, write rtpload's stream list here, hold until stdin closes.</summary>
    public string? StreamsOut { get; init; }

    /// <summary>--streams-out joins with ?rtp=symmetric (rtpload sends from the port it receives on), for the shared pairs.</summary>
    public bool Symmetric { get; init; }

    /// <summary>--streams-out also prepares a recorded visit with this many seconds of real media, ended (and so rendered) on a 'render' line on stdin.</summary>
    public int RenderVisitSeconds { get; init; }

    /// <summary>--streams-out joins every party over WebRTC (ICE, DTLS, AES-GCM SRTP) instead of plain RTP (<see cref="WebRtcClient"/>).</summary>
    public bool WebRtc { get; init; }

    /// <summary>Extra environment for the server we start (KEY=VALUE), e.g. runtime knobs to compare.</summary>
    public IReadOnlyList<string> ServerEnvironment { get; init; } = [];

    public const string Usage =
        """
        usage: MediaServer.LoadGen --visits N --seconds S [--visitors V] [--server-dll PATH | --url http://HOST:PORT --token OFFICER_JWT [--pid PID]]
                                   [--seed 1] [--video-kbps 1200] [--video-packet 1200] [--audio-packet 120] [--tick-ms 5] [--warmup 10] [--idle 0] [--server-env KEY=VALUE]... [--direct] [--streams-out FILE [--symmetric | --webrtc] [--render-visit S]]
          Starts the server itself unless --url is given (then --token must be an officer/admin token for that server, and --pid
          lets it read the server's CPU and memory from /proc). Each visit has one kiosk and V visitors; every party sends VP8-like
          video (~1200-byte packets at --video-kbps) and Opus-like audio (50 packets/s) as plain RTP on 127.0.0.1 and receives
          every other party. --streams-out FILE only joins --visits two-party visits and writes the stream list bench/relay/run.sh
          feeds the C load generator (see StreamSetup.cs); --symmetric joins those parties with ?rtp=symmetric, so a server
          with MediaServer__Rtp__SharedPairs set puts them on its shared pairs; --webrtc joins them as browsers do instead (ICE,
          DTLS on BouncyCastle, AES-GCM SRTP keys for rtpload, see WebRtcClient.cs); --render-visit S first records one visit with S
          seconds of FFmpeg media each way, kept open until a line 'render' on stdin ends it (its review copy then renders). Media flows for --warmup seconds first: address latching, the visits going live, and the runtime's
          tiered JIT, which recompiles what the joins ran for several seconds after them; only packets sent in the following --seconds
          are counted and timed. --direct runs the same parties and traffic with no server at all (each party sends
          straight to the others), as a floor for latency and loss on this machine. --idle N samples the server's CPU for N s with every leg up and no media yet, as a baseline.
        """;

    public static Options Parse(string[] args)
    {
        var options = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt(int min, int max)
            {
                var name = args[i];
                var text = Next();
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                {
                    throw new ArgumentException($"{name} must be an integer from {min} to {max}, not '{text}'.");
                }
                return value;
            }
            options = args[i] switch
            {
                "--visits" => options with { Visits = NextInt(1, 1000) },
                "--seconds" => options with { Seconds = NextInt(1, 3600) },
                "--visitors" => options with { Visitors = NextInt(1, 4) },
                "--server-dll" => options with { ServerDll = Next() },
                "--url" => options with { Url = new Uri(Next(), UriKind.Absolute) },
                "--token" => options with { Token = Next() },
                "--pid" => options with { ServerPid = NextInt(1, int.MaxValue) },
                "--seed" => options with { Seed = NextInt(int.MinValue, int.MaxValue) },
                "--video-kbps" => options with { VideoKbps = NextInt(16, 20_000) },
                "--video-packet" => options with { VideoPacketBytes = NextInt(64, 1400) },
                "--audio-packet" => options with { AudioPacketBytes = NextInt(40, 1400) },
                "--tick-ms" => options with { TickMilliseconds = NextInt(1, 50) },
                "--warmup" => options with { WarmUpSeconds = NextInt(0, 60) },
                "--idle" => options with { IdleSeconds = NextInt(0, 60) },
                "--direct" => options with { Direct = true },
                "--streams-out" => options with { StreamsOut = Next() },
                "--symmetric" => options with { Symmetric = true },
                "--webrtc" => options with { WebRtc = true },
                "--render-visit" => options with { RenderVisitSeconds = NextInt(1, 600) },
                "--server-env" => options with { ServerEnvironment = [.. options.ServerEnvironment, Next()] },
                "-h" or "--help" => throw new ArgumentException(""),
                _ => throw new ArgumentException($"Unknown argument '{args[i]}'."),
            };
        }
        if (options.Url is not null && options.Token is null)
        {
            throw new ArgumentException("--url needs --token (an officer or admin token for that server).");
        }
        if (options.ServerEnvironment.Any(e => e.IndexOf('=', StringComparison.Ordinal) <= 0))
        {
            throw new ArgumentException("--server-env takes KEY=VALUE.");
        }
        if (options.Direct && (options.Url is not null || options.ServerDll is not null || options.ServerEnvironment.Count > 0))
        {
            throw new ArgumentException("--direct runs without a server; it takes no --url, --server-dll or --server-env.");
        }
        if ((options.Symmetric || options.WebRtc || options.RenderVisitSeconds > 0) && options.StreamsOut is null)
        {
            throw new ArgumentException("--symmetric, --webrtc and --render-visit apply to --streams-out only.");
        }
        if (options.Symmetric && options.WebRtc)
        {
            throw new ArgumentException("--symmetric is for plain RTP; WebRTC legs always share the WebRTC port.");
        }
        if (options.Url is not null && options.ServerDll is not null)
        {
            throw new ArgumentException("Give either --url or --server-dll, not both.");
        }
        return options;
    }
}
