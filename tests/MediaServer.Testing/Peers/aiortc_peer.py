#!/usr/bin/python3
"""A WebRTC party made with Debian's aiortc, for interop tests (docs/peers.md, "aiortc").

    aiortc_peer.py SERVER_URL VISIT_ID TOKEN video|audio SECONDS

Offers ONE kind, sendrecv (aiortc 1.4 stops sending when it offers audio and video together), posts the offer to
/api/visits/{id}/join, applies the answer, sends a synthetic track and counts what arrives for SECONDS after connecting,
leaves (DELETE the leg) and prints one JSON line: {"ok", "status", "kind", "framesReceived", "framesSent", "firstFrameMs", ...}.
Exit code 0 when joined and connected, 2 when the join was refused, 3 when the connection did not come up.
"""
import argparse
import asyncio
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.request

# aiortc leaves loopback out of its host candidates; tests run on 127.0.0.1 only (docs/peers.md).
import aioice.ice

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack  # noqa: E402


class CountingVideo(VideoStreamTrack):
    sent = 0

    async def recv(self):
        frame = await super().recv()
        self.sent += 1
        return frame


class CountingAudio(AudioStreamTrack):
    sent = 0

    async def recv(self):
        frame = await super().recv()
        self.sent += 1
        return frame


def http(method, url, token, body=None, content_type=None, timeout=15):
    """Blocking HTTP call (urllib: no extra packages). Returns (status, headers, text)."""
    data = body.encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")


def emit(result):
    print(json.dumps(result), flush=True)


async def run(args):
    result = {"ok": False, "kind": args.kind, "status": None, "framesReceived": 0, "framesSent": 0,
              "firstFrameMs": None, "firstFrameAfterConnectedMs": None, "connectedMs": None}
    pc = RTCPeerConnection()
    track = CountingVideo() if args.kind == "video" else CountingAudio()
    pc.addTransceiver(track, direction="sendrecv")

    clock = {"answer": None, "connected": None}
    received = {"frames": 0, "first": None}
    consumers = []

    async def consume(remote):
        while True:
            try:
                await remote.recv()
            except MediaStreamError:
                return
            received["frames"] += 1
            if received["first"] is None:
                received["first"] = time.monotonic()

    @pc.on("track")
    def on_track(remote):
        if remote.kind == args.kind:
            consumers.append(asyncio.ensure_future(consume(remote)))

    connected = asyncio.Event()

    @pc.on("connectionstatechange")
    async def on_state():
        if pc.connectionState == "connected" and clock["connected"] is None:
            clock["connected"] = time.monotonic()
        if pc.connectionState in ("connected", "failed", "closed"):
            connected.set()

    # aiortc gathers every candidate inside setLocalDescription: the offer is complete, as an ICE-lite server needs.
    await pc.setLocalDescription(await pc.createOffer())
    join_url = "%s/api/visits/%s/join" % (args.server.rstrip("/"), args.visit)
    status, headers, body = await asyncio.to_thread(http, "POST", join_url, args.token, pc.localDescription.sdp,
                                                    "application/sdp")
    result["status"] = status
    if status != 201:
        result["detail"] = body[:1000]
        emit(result)
        await pc.close()
        return 2

    location = headers.get("Location")
    if os.environ.get("AIORTC_PEER_DEBUG"):
        print("--- offer ---\n%s--- answer ---\n%s" % (pc.localDescription.sdp, body), file=sys.stderr)
    clock["answer"] = time.monotonic()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
    try:
        await asyncio.wait_for(connected.wait(), timeout=15)
    except asyncio.TimeoutError:
        pass
    result["connectionState"] = pc.connectionState
    result["iceConnectionState"] = pc.iceConnectionState
    if pc.connectionState != "connected":
        result["detail"] = "connection did not come up"
        emit(result)
        await pc.close()
        return 3

    # The run itself: SECONDS of media both ways after connecting.
    await asyncio.sleep(args.seconds)

    result["ok"] = True
    result["framesReceived"] = received["frames"]
    result["framesSent"] = track.sent
    result["connectedMs"] = round((clock["connected"] - clock["answer"]) * 1000, 1)
    if received["first"] is not None:
        result["firstFrameMs"] = round((received["first"] - clock["answer"]) * 1000, 1)
        result["firstFrameAfterConnectedMs"] = round((received["first"] - clock["connected"]) * 1000, 1)
    result["connectionStateAtEnd"] = pc.connectionState
    if location:
        leave_url = location if location.startswith("http") else args.server.rstrip("/") + location
        result["leaveStatus"] = (await asyncio.to_thread(http, "DELETE", leave_url, args.token))[0]
    for consumer in consumers:
        consumer.cancel()
    await pc.close()
    emit(result)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("server")
    parser.add_argument("visit")
    parser.add_argument("token")
    parser.add_argument("kind", choices=("video", "audio"))
    parser.add_argument("seconds", type=float)
    args = parser.parse_args()
    if os.environ.get("AIORTC_PEER_DEBUG"):
        # aiortc logs every RTP/RTCP packet it routes at DEBUG: the way to see why a stream is dropped.
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    try:
        return asyncio.run(run(args))
    except Exception as error:  # One JSON line, whatever happened, so the test can report it.
        emit({"ok": False, "kind": args.kind, "error": "%s: %s" % (type(error).__name__, error)})
        return 1


if __name__ == "__main__":
    sys.exit(main())
