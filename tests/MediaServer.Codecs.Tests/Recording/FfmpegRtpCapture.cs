using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MediaServer.Codecs.Tests.Recording;

/// <summary>
/// Receives what a real FFmpeg sends with its RTP muxer: RTP on one UDP port of 127.0.0.1, RTCP on the next port up,
/// until FFmpeg exits and the sockets stay quiet. The ports are chosen free at run time.
/// </summary>
internal static class FfmpegRtpCapture
{
    public sealed record Capture(IReadOnlyList<byte[]> Rtp, IReadOnlyList<byte[]> Rtcp);

    /// <param name="encodeArguments">FFmpeg arguments up to (not including) the RTP output.</param>
    public static async Task<Capture> RunAsync(IReadOnlyList<string> encodeArguments, TimeSpan timeout)
    {
        var (rtpSocket, rtcpSocket) = BindPair();
        using (rtpSocket)
        using (rtcpSocket)
        {
            int port = ((IPEndPoint)rtpSocket.LocalEndPoint!).Port;
            var rtp = new List<byte[]>();
            var rtcp = new List<byte[]>();
            var info = new ProcessStartInfo("ffmpeg")
            {
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var a in (string[])["-hide_banner", "-loglevel", "error", "-nostdin"])
            {
                info.ArgumentList.Add(a);
            }

            foreach (var a in encodeArguments)
            {
                info.ArgumentList.Add(a);
            }

            info.ArgumentList.Add("-f");
            info.ArgumentList.Add("rtp");
            info.ArgumentList.Add($"rtp://127.0.0.1:{port}?rtcpport={port + 1}&pkt_size=1200");

            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var deadline = Stopwatch.StartNew();
            var buffer = new byte[65536];
            var quietSince = Stopwatch.StartNew();
            try
            {
                while (true)
                {
                    bool got = false;
                    foreach (var (socket, list) in new[] { (rtpSocket, rtp), (rtcpSocket, rtcp) })
                    {
                        while (socket.Available > 0)
                        {
                            int n = socket.Receive(buffer);
                            list.Add(buffer.AsSpan(0, n).ToArray());
                            got = true;
                        }
                    }

                    if (got)
                    {
                        quietSince.Restart();
                    }
                    else if (process.HasExited && quietSince.Elapsed > TimeSpan.FromMilliseconds(300))
                    {
                        break;
                    }
                    else
                    {
                        Socket.Select(new List<Socket> { rtpSocket, rtcpSocket }, null, null, 50_000);
                    }

                    if (deadline.Elapsed > timeout)
                    {
                        throw new TimeoutException("FFmpeg did not finish sending in time");
                    }
                }
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"ffmpeg failed: {await stderr}");
            return new Capture(rtp, rtcp);
        }
    }

    private static (Socket Rtp, Socket Rtcp) BindPair()
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var rtp = NewSocket();
            rtp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)rtp.LocalEndPoint!).Port;
            if (port < 65535)
            {
                var rtcp = NewSocket();
                try
                {
                    rtcp.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                    return (rtp, rtcp);
                }
                catch (SocketException)
                {
                    rtcp.Dispose();
                }
            }

            rtp.Dispose();
        }

        throw new InvalidOperationException("no free pair of UDP ports");
    }

    private static Socket NewSocket() =>
        new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
}
