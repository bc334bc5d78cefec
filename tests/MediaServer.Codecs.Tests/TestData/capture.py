#!/usr/bin/python3
"""Capture RTP and RTCP datagrams sent by a real FFmpeg on 127.0.0.1 and save a
handful of them as hex lines under this directory. See README.md for how and why.

Usage: /usr/bin/python3 capture.py            (rewrites vp8.hex, h264.hex, opus.hex)

The selection below uses only RTP-level facts (timestamp changes mark frame
boundaries, arrival order); what the payloads contain is asserted by the C# tests.
"""
import os
import select
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MTU = 1200  # FFmpeg's pkt_size: RTP datagrams no larger than this, like a WebRTC sender

VIDEO_SOURCE = ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "1"]
AUDIO_SOURCE = ["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6"]  # long enough for a second SR (FFmpeg sends one about every 5 s)

STREAMS = {
    "vp8": (41000, VIDEO_SOURCE + ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8",
                                   "-b:v", "300k", "-g", "30", "-payload_type", "96", "-ssrc", "1111"]),
    "h264": (41010, VIDEO_SOURCE + ["-c:v", "libx264", "-tune", "zerolatency", "-profile:v", "baseline",
                                    "-preset", "veryfast", "-g", "30", "-payload_type", "102", "-ssrc", "3333"]),
    "opus": (41020, AUDIO_SOURCE + ["-c:a", "libopus", "-payload_type", "111", "-ssrc", "2222"]),
}


def run_ffmpeg(args, port):
    """Receive everything FFmpeg sends to port (RTP) and rtcpport (RTCP) until it exits."""
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", port))
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp.bind(("127.0.0.1", port + 1))
    url = f"rtp://127.0.0.1:{port}?rtcpport={port + 1}&pkt_size={MTU}"
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"] + args + ["-f", "rtp", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    got = []  # (kind, bytes) in arrival order
    while True:
        ready, _, _ = select.select([rtp, rtcp], [], [], 0.5)
        for s in ready:
            got.append(("rtp" if s is rtp else "rtcp", s.recv(65536)))
        if not ready and proc.poll() is not None:
            break
    rtp.close()
    rtcp.close()
    if proc.returncode != 0:
        sys.exit(f"ffmpeg failed: {' '.join(cmd)}")
    return cmd, got


def frames(rtp_packets):
    """Group RTP packets into frames by RTP timestamp (bytes 4..8), in arrival order."""
    out = []
    for p in rtp_packets:
        ts = p[4:8]
        if not out or out[-1][0] != ts:
            out.append((ts, []))
        out[-1][1].append(p)
    return [f[1] for f in out]


def select_packets(name, got):
    rtp = [d for k, d in got if k == "rtp"]
    rtcp = [d for k, d in got if k == "rtcp"]
    chosen = []
    if name == "opus":
        for i in range(3):
            chosen.append((f"rtp{i}", rtp[i]))
    else:
        fr = frames(rtp)
        first = fr[0]
        # The first frame: its first packets, and the last packet (which carries the marker).
        for i, p in enumerate(first[:4]):
            chosen.append((f"frame0-packet{i}", p))
        if len(first) > 4:
            chosen.append((f"frame0-packet{len(first) - 1}-last", first[-1]))
        # Later frames: first packet of frames 1 and 2, and a middle packet of frame 1 when it has one.
        for f in (1, 2):
            chosen.append((f"frame{f}-packet0", fr[f][0]))
        if len(fr[1]) > 2:
            chosen.append(("frame1-packet1", fr[1][1]))
    chosen.append(("rtcp-first", rtcp[0]))
    chosen.append(("rtcp-last", rtcp[-1]))
    return chosen, len(rtp), len(rtcp)


def main():
    for name, (port, args) in STREAMS.items():
        cmd, got = run_ffmpeg(args, port)
        chosen, n_rtp, n_rtcp = select_packets(name, got)
        path = os.path.join(HERE, f"{name}.hex")
        with open(path, "w") as f:
            f.write(f"# Captured from FFmpeg by capture.py ({n_rtp} RTP and {n_rtcp} RTCP datagrams received; a few kept).\n")
            f.write("# " + " ".join(cmd) + "\n")
            f.write("# Each line: label, space, the datagram as hex.\n")
            for label, data in chosen:
                f.write(f"{label} {data.hex()}\n")
        print(f"{path}: {len(chosen)} packets of {n_rtp} RTP / {n_rtcp} RTCP")


if __name__ == "__main__":
    main()
