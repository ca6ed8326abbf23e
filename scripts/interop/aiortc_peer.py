#!/usr/bin/env python3
"""aiortc (PyPI) as a WHIP peer for Tincan's interop tests.

  recv: a WHIP endpoint on 127.0.0.1 that answers one offer, decodes VP8/Opus for --duration
        seconds after ICE+DTLS connect (or until DELETE) and writes a JSON report.
  send: a WHIP client that offers a synthetic 640x480@30 VP8 video track (Tincan's fake-camera
        picture: frame number and capture time burned in) and a 440 Hz Opus tone.

Candidates are on 127.0.0.1 only and no STUN server is used (aioice's defaults would gather the
real interfaces and ask a public STUN server).

Examples:
  aiortc_peer.py recv --whip-listen 127.0.0.1:8080 --duration 10 --report r.json
  aiortc_peer.py send --whip http://127.0.0.1:8080/whip --duration 10 --stats s.json
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import math
import os
import sys
import time
from typing import Any, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import aioice.ice  # noqa: E402
import numpy as np  # noqa: E402
from aiortc import (RTCConfiguration, RTCPeerConnection, RTCRtpSender,  # noqa: E402
                    RTCSessionDescription)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402
from av import AudioFrame, VideoFrame  # noqa: E402

import interop_common as ic  # noqa: E402

PEER = "aiortc"


def loopback_only() -> None:
    """aioice skips 127.0.0.1 and gathers every other interface: turn that around, so the test
    stays on loopback (the notes: a loopback test must restrict its candidates itself)."""
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"] if use_ipv4 else []


def emit_frames_on_marker() -> None:
    """Stock aiortc hands a video frame to the decoder only when a packet of the *next* frame
    arrives: one frame interval of extra latency (100 ms at 10 fps), which would swamp an
    offer-to-first-frame budget of 100 ms. With --marker-frames a frame also completes on its
    RTP marker bit (RFC 7741 section 4.1: set on the last packet of a frame)."""
    import aiortc.rtcrtpreceiver as receiver_module
    from aiortc.jitterbuffer import JitterBuffer, JitterFrame

    class MarkerJitterBuffer(JitterBuffer):
        def _remove_frame(self, sequence_number: int) -> Optional[JitterFrame]:
            if not self._is_video or self._origin is None:
                return super()._remove_frame(sequence_number)
            packets: list[Any] = []
            timestamp = None
            for count in range(self.capacity):
                packet = self._packets[(self._origin + count) % self.capacity]
                if packet is None:
                    return None
                if timestamp is None:
                    timestamp = packet.timestamp
                elif packet.timestamp != timestamp:  # ended without a marker: as aiortc does
                    frame = JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)
                    self.remove(count)
                    return frame
                packets.append(packet)
                if packet.marker:
                    frame = JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)
                    self.remove(count + 1)
                    return frame
            return None

    receiver_module.JitterBuffer = MarkerJitterBuffer  # type: ignore[misc]


def new_peer_connection() -> RTCPeerConnection:
    """No ICE servers: the default would be a public STUN server."""
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


# ----------------------------------------------------------------------------------------------
# Sources

class PatternVideoTrack(MediaStreamTrack):
    """Tincan's synthetic-camera picture (gradient, moving bar, bit band), paced in real time."""

    kind = "video"

    def __init__(self, width: int, height: int, fps: float) -> None:
        super().__init__()
        self.width, self.height, self.fps = width, height, fps
        self.frames = 0
        self.first_frame_at: Optional[float] = None
        self._start: Optional[float] = None
        w, h = width, height
        cw, ch = (w + 1) // 2, (h + 1) // 2
        y = (40 + (np.arange(w)[None, :] * 120) // w + (np.arange(h)[:, None] * 40) // h).astype(np.uint8)
        u = np.broadcast_to((96 + (np.arange(cw) * 64) // cw).astype(np.uint8)[None, :], (ch, cw))
        v = np.broadcast_to((160 - (np.arange(ch) * 64) // ch).astype(np.uint8)[:, None], (ch, cw))
        self._background = np.concatenate([y.ravel(), u.ravel(), v.ravel()])

    def _draw(self, n: int) -> VideoFrame:
        w, h = self.width, self.height
        cw, ch = (w + 1) // 2, (h + 1) // 2
        flat = self._background.copy()
        luma = flat[:w * h].reshape(h, w)
        bar_w = max(2, w // 16)
        x0 = (n * max(1, w // 240)) % max(1, w - bar_w + 1)
        luma[h // 4:h, x0:x0 + bar_w] = 220
        if w >= 48 and h >= 48:
            for i, bit in enumerate(ic.pattern_bits(n, ic.monotonic_ms32())):
                bx0, bx1, by0, by1 = ic.pattern_cell_rect(i, w, h)
                luma[by0:by1, bx0:bx1] = ic.PATTERN_WHITE if bit else ic.PATTERN_BLACK
            cy = min(ch, (ic.PATTERN_ROWS * h // 24 + 1) // 2)
            cx = min(cw, (ic.PATTERN_COLUMNS * w // 24 + 1) // 2)
            flat[w * h:w * h + cw * ch].reshape(ch, cw)[:cy, :cx] = 128
            flat[w * h + cw * ch:].reshape(ch, cw)[:cy, :cx] = 128
        # from_ndarray wants yuv420p as (h * 3/2, w) rows; w is even here.
        return VideoFrame.from_ndarray(flat.reshape(h * 3 // 2, w), format="yuv420p")

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
            self.first_frame_at = now
        else:
            due = self._start + self.frames / self.fps
            if due > now:
                await asyncio.sleep(due - now)
        n = self.frames
        frame = self._draw(n)
        frame.pts = int(n * 90000 / self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        self.frames += 1
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """A 440 Hz sine, 48 kHz mono, 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self, rate: int = 48000, ptime: float = 0.02) -> None:
        super().__init__()
        self.rate, self.samples = rate, int(rate * ptime)
        self.frames = 0
        self._start: Optional[float] = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        else:
            due = self._start + self.frames * self.samples / self.rate
            if due > now:
                await asyncio.sleep(due - now)
        t0 = self.frames * self.samples
        t = (np.arange(self.samples) + t0) / self.rate
        pcm = (np.sin(2 * math.pi * 440 * t) * 8000).astype(np.int16).reshape(1, -1)
        frame = AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = t0
        frame.time_base = fractions.Fraction(1, self.rate)
        self.frames += 1
        return frame


def prefer(transceiver: Any, kind: str, names: set[str]) -> None:
    """Offer only Tincan's codecs (VP8 + rtx, Opus): webrtcbin answers only the first codec of an
    m-line, and Tincan offers VP8+Opus."""
    caps = RTCRtpSender.getCapabilities(kind)
    transceiver.setCodecPreferences([c for c in caps.codecs if c.mimeType.lower() in names])


# ----------------------------------------------------------------------------------------------
# send

async def run_send(args: argparse.Namespace) -> int:
    """Offer, POST, apply the answer, send for --duration s after connecting, close, DELETE."""
    w, h = (int(x) for x in args.size.lower().split("x"))
    video = PatternVideoTrack(w, h, args.fps)
    audio = ToneAudioTrack()
    pc = new_peer_connection()
    connected = asyncio.Event()
    failed = asyncio.Event()

    @pc.on("connectionstatechange")
    def on_state() -> None:
        ic.log(PEER, f"connection {pc.connectionState}")
        if pc.connectionState == "connected":
            connected.set()
        elif pc.connectionState in ("failed", "closed"):
            failed.set()

    if not args.no_video:
        prefer(pc.addTransceiver(video, direction="sendonly"), "video", {"video/vp8", "video/rtx"})
    if not args.no_audio:
        prefer(pc.addTransceiver(audio, direction="sendonly"), "audio", {"audio/opus"})
    offer_at = time.monotonic()
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    ic.save_sdp(args.save_offer, offer)
    loop = asyncio.get_running_loop()
    report: dict[str, Any] = {"peer": PEER, "role": "send", "whip": args.whip}
    session: Optional[str] = None
    rc = 0
    try:
        posted = time.monotonic()
        answer, session = await loop.run_in_executor(None, ic.whip_post, args.whip, offer)
        report["postToAnswerMs"] = round((time.monotonic() - posted) * 1000, 1)
        ic.save_sdp(args.save_answer, answer)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await asyncio.wait(
            [asyncio.create_task(connected.wait()), asyncio.create_task(failed.wait())],
            timeout=args.connect_timeout, return_when=asyncio.FIRST_COMPLETED)
        if not connected.is_set():
            raise RuntimeError(f"not connected within {args.connect_timeout} s (state {pc.connectionState})")
        report["offerToConnectedMs"] = round((time.monotonic() - offer_at) * 1000, 1)
        ic.log(PEER, f"sending for {args.duration} s")
        try:
            await asyncio.wait_for(failed.wait(), timeout=args.duration)
            raise RuntimeError(f"connection {pc.connectionState} while sending")
        except asyncio.TimeoutError:
            pass
    except (RuntimeError, OSError, ValueError) as e:
        ic.log(PEER, f"send failed: {e}")
        report["error"] = str(e)
        rc = 1
    finally:
        video.stop()
        audio.stop()
        await pc.close()
        if session:
            await loop.run_in_executor(None, ic.whip_delete, session)
    report.update({"videoFramesSent": video.frames, "audioFramesSent": audio.frames,
                   "width": w, "height": h, "captureFps": args.fps})
    ic.write_json(args.stats, report)
    ic.log(PEER, f"sent {video.frames} video frames, {audio.frames} audio frames")
    return rc


# ----------------------------------------------------------------------------------------------
# recv

async def consume(track: MediaStreamTrack, decoded: ic.DecodeLog) -> None:
    """Pull decoded frames until the track ends; read the burned-in counter from video."""
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if isinstance(frame, VideoFrame):
            at = time.monotonic()
            plane = frame.planes[0]
            pattern = ic.read_pattern(memoryview(plane), frame.width, frame.height, plane.line_size)
            decoded.video_frame(frame.width, frame.height, pattern, at)
        elif isinstance(frame, AudioFrame):
            decoded.audio_frame(frame.samples, frame.sample_rate)


async def run_recv(args: argparse.Namespace) -> int:
    """Serve WHIP, answer one offer, decode until --duration after connecting or DELETE."""
    loop = asyncio.get_running_loop()
    decoded = ic.DecodeLog(PEER)
    stop = asyncio.Event()
    connected = asyncio.Event()
    pcs: list[RTCPeerConnection] = []
    tasks: list[asyncio.Task[None]] = []

    async def answer(offer: str) -> str:
        pc = new_peer_connection()
        pcs.append(pc)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            ic.log(PEER, f"track {track.kind}")
            tasks.append(asyncio.ensure_future(consume(track, decoded)))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            ic.log(PEER, f"connection {pc.connectionState}")
            if pc.connectionState == "connected":
                decoded.connected_at = time.monotonic()
                connected.set()
            elif pc.connectionState in ("failed", "closed"):
                stop.set()

        await pc.setRemoteDescription(RTCSessionDescription(offer, "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    def on_offer(offer: str) -> str:
        ic.save_sdp(args.save_offer, offer)
        sdp = asyncio.run_coroutine_threadsafe(answer(offer), loop).result(timeout=20)
        ic.save_sdp(args.save_answer, sdp)
        return sdp

    server = ic.WhipServer(args.whip_listen, PEER, on_offer,
                           lambda: loop.call_soon_threadsafe(stop.set), decoded)
    ic.install_stop_signals(lambda: loop.call_soon_threadsafe(stop.set))
    server.start()
    rc = 0
    error: Optional[str] = None
    waiters = [asyncio.ensure_future(connected.wait()), asyncio.ensure_future(stop.wait())]
    await asyncio.wait(waiters, timeout=args.wait_offer, return_when=asyncio.FIRST_COMPLETED)
    for w in waiters:
        w.cancel()
    if not connected.is_set():
        error = "stopped before a session connected" if stop.is_set() else \
            f"no connected session within {args.wait_offer} s"
        rc = 2
    else:
        try:
            await asyncio.wait_for(stop.wait(), timeout=args.duration)
        except asyncio.TimeoutError:
            pass
    ic.log(PEER, "stopping: " + ("DELETE or end" if stop.is_set() else "duration over"))
    # Count only what decoded inside the window: snapshot before closing.
    report = decoded.report(args.steady_skip, role="recv", duration=args.duration,
                            frameHoldback=not args.marker_frames)
    for pc in pcs:
        await pc.close()
    for t in tasks:
        t.cancel()
    server.stop()
    if error:
        report["error"] = error
    ic.write_json(args.report, report)
    ic.log(PEER, f"decoded {report['videoFramesDecoded']} video frames at {report['fps']} fps, "
                 f"{report['audioFramesDecoded']} audio frames; first frame {report['offerToFirstFrameMs']} ms")
    return rc


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv", help="answer one WHIP offer and count decoded frames")
    ic.add_receiver_arguments(r)
    r.add_argument("--marker-frames", action="store_true",
                   help="complete a video frame on its RTP marker bit instead of waiting for the "
                        "next frame's first packet (stock aiortc; one frame interval of latency)")
    ic.add_report_arguments(r)
    s = sub.add_parser("send", help="offer synthetic video + a tone to a WHIP endpoint")
    ic.add_sender_arguments(s)
    s.add_argument("--size", default="640x480", help="picture size WxH (even numbers)")
    s.add_argument("--fps", type=float, default=30.0, help="frames a second of the synthetic camera")
    s.add_argument("--no-video", action="store_true", help="offer audio only")
    s.add_argument("--no-audio", action="store_true", help="offer video only")
    s.add_argument("--connect-timeout", type=float, default=10.0,
                   help="seconds from the answer to 'connected' before giving up")
    s.add_argument("--stats", help="JSON report: videoFramesSent, audioFramesSent, timings")
    s.add_argument("--save-offer", help="write the offer POSTed here, bytes unchanged")
    s.add_argument("--save-answer", help="write the answer received here, bytes unchanged")
    args = parser.parse_args()
    loopback_only()
    if args.mode == "recv" and args.marker_frames:
        emit_frames_on_marker()
    return asyncio.run(run_recv(args) if args.mode == "recv" else run_send(args))


if __name__ == "__main__":
    sys.exit(main())
