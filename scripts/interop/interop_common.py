"""Pieces every interop peer shares: the WHIP server and client (RFC 9725), the burned-in
frame counter of Tincan's synthetic camera, the decoded-frame log that turns into the JSON
report, and small process helpers.

Standard library only: the GStreamer peer runs on Debian's /usr/bin/python3 (where gi lives),
the aiortc and Chromium peers on the python3 that has aiortc and selenium.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socketserver
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
import argparse
from typing import Any, Callable, Optional, Sequence

# ---------------------------------------------------------------------------------------------
# Tincan's synthetic picture (Sources/MediaCapture/Devices/SyntheticPattern.swift), re-done here
# so a Python sender draws what Tincan's fake camera draws and every receiver can read the frame
# number and capture time back from the decoded picture.
# Cells are 1/24 of the picture; 16 per row, 4 rows; bits MSB first: 24-bit frame number,
# 32-bit capture time in ms of CLOCK_MONOTONIC (mod 2^32), 8-bit check.

PATTERN_COLUMNS = 16
PATTERN_ROWS = 4
PATTERN_WHITE = 235
PATTERN_BLACK = 16


def pattern_cell_rect(i: int, width: int, height: int) -> tuple[int, int, int, int]:
    """(x0, x1, y0, y1) of bit i, at exact fractions of the picture so scaling keeps it."""
    col, row = i % PATTERN_COLUMNS, i // PATTERN_COLUMNS
    return col * width // 24, (col + 1) * width // 24, row * height // 24, (row + 1) * height // 24


def pattern_check(frame: int, ms: int) -> int:
    """The check byte: a receiver rejects a damaged or foreign picture with it."""
    x = 0xA5
    for v in (frame, ms):
        x ^= v ^ (v >> 8) ^ (v >> 16) ^ (v >> 24)
    return x & 0xFF


def pattern_bits(frame_number: int, timestamp_ms: int) -> list[bool]:
    """The 64 cells of one picture, MSB first."""
    f = frame_number & 0xFFFFFF
    ms = timestamp_ms & 0xFFFFFFFF
    c = pattern_check(f, ms)
    out = [bool(f >> i & 1) for i in range(23, -1, -1)]
    out += [bool(ms >> i & 1) for i in range(31, -1, -1)]
    out += [bool(c >> i & 1) for i in range(7, -1, -1)]
    return out


def read_pattern(luma: Any, width: int, height: int, stride: Optional[int] = None) -> Optional[tuple[int, int]]:
    """(frame number, capture ms) read from a Y plane (bytes-like, `stride` bytes a row), or
    None when the picture carries no valid band. Each cell's inner half is averaged against
    mid-grey, as SyntheticPattern.readBits does."""
    if width < 48 or height < 48:
        return None
    stride = stride or width
    if len(luma) < stride * (height - 1) + width:
        return None
    bits: list[bool] = []
    for i in range(PATTERN_COLUMNS * PATTERN_ROWS):
        x0, x1, y0, y1 = pattern_cell_rect(i, width, height)
        qw, qh = (x1 - x0) // 4, (y1 - y0) // 4
        ix0, iy0 = x0 + qw, y0 + qh
        ix1, iy1 = max(ix0 + 1, x1 - qw), max(iy0 + 1, y1 - qh)
        total = 0
        for y in range(iy0, iy1):
            total += sum(luma[y * stride + ix0:y * stride + ix1])
        n = (ix1 - ix0) * (iy1 - iy0)
        bits.append(total // n >= 126)

    def value(lo: int, hi: int) -> int:
        v = 0
        for b in bits[lo:hi]:
            v = v << 1 | int(b)
        return v

    frame, ms, check = value(0, 24), value(24, 56), value(56, 64)
    if check != pattern_check(frame, ms):
        return None
    return frame, ms


def monotonic_ms32() -> int:
    """CLOCK_MONOTONIC in ms mod 2^32: the clock Tincan burns into its pictures, shared by every
    process on this host, so capture-to-decode latency can be read across processes."""
    return (time.monotonic_ns() // 1_000_000) & 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------
# What a receiver saw, and the report it writes.

@dataclass
class DecodeLog:
    """Decoded frames as they come out of the decoder, stamped with this process's monotonic
    clock. Thread-safe: GStreamer calls from its streaming threads."""

    peer: str
    offer_received_at: Optional[float] = None
    connected_at: Optional[float] = None
    video_times: list[float] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)
    last_size: tuple[int, int] = (0, 0)
    counters: list[int] = field(default_factory=list)
    latencies_ms: list[int] = field(default_factory=list)
    audio_frames: int = 0
    audio_samples: int = 0
    audio_rate: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def video_frame(self, width: int, height: int, pattern: Optional[tuple[int, int]] = None,
                    at: Optional[float] = None) -> None:
        """One decoded video frame; `pattern` is what read_pattern found in it."""
        now = time.monotonic() if at is None else at
        with self.lock:
            self.video_times.append(now)
            key = f"{width}x{height}"
            self.sizes[key] = self.sizes.get(key, 0) + 1
            self.last_size = (width, height)
            if pattern is not None:
                self.counters.append(pattern[0])
                self.latencies_ms.append((monotonic_ms32() - pattern[1]) & 0xFFFFFFFF)

    def audio_frame(self, samples_per_channel: int, rate: int) -> None:
        """One decoded audio frame (any duration)."""
        with self.lock:
            self.audio_frames += 1
            self.audio_samples += samples_per_channel
            self.audio_rate = rate

    def report(self, steady_skip_s: float = 1.0, **extra: Any) -> dict[str, Any]:
        """The JSON report. fps is counted over the steady part: from `steady_skip_s` after the
        first decoded frame to the last one, (frames - 1) / (last - first) by this clock, so
        the start-up burst (keyframe wait, jitter buffer fill) does not count."""
        with self.lock:
            times = list(self.video_times)
            counters = list(self.counters)
            lat = list(self.latencies_ms)
            sizes = dict(self.sizes)
            w, h = self.last_size
            audio_frames, audio_samples, rate = self.audio_frames, self.audio_samples, self.audio_rate
        fps, window = steady_fps(times, steady_skip_s)
        first_ms = None
        if times and self.offer_received_at is not None:
            first_ms = round((times[0] - self.offer_received_at) * 1000, 1)
        out: dict[str, Any] = {
            "peer": self.peer,
            "videoFramesDecoded": len(times),
            "width": w,
            "height": h,
            "sizes": sizes,
            "fps": fps,
            "fpsWindowS": window,
            "audioFramesDecoded": audio_frames,
            "audioSamplesDecoded": audio_samples,
            "audioSeconds": round(audio_samples / rate, 3) if rate else 0.0,
            "offerToFirstFrameMs": first_ms,
            "offerToConnectedMs": (round((self.connected_at - self.offer_received_at) * 1000, 1)
                                   if self.connected_at and self.offer_received_at else None),
        }
        if counters:
            out["firstFrameCounter"] = counters[0]
            out["frameCounters"] = counters
            out["captureToDecodeMs"] = {"median": statistics.median(lat), "max": max(lat)}
        out.update(extra)
        return out


def steady_fps(times: Sequence[float], skip_s: float) -> tuple[Optional[float], float]:
    """(fps, window seconds) over the frames from `skip_s` after the first one to the last."""
    if not times:
        return None, 0.0
    steady = [t for t in times if t >= times[0] + skip_s]
    if len(steady) < 2:
        steady = list(times)
    if len(steady) < 2:
        return None, 0.0
    window = steady[-1] - steady[0]
    return round((len(steady) - 1) / window, 3), round(window, 3)


def write_json(path: Optional[str], data: dict[str, Any]) -> None:
    """Write atomically, so a reader never sees half a report."""
    if not path:
        return
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def save_sdp(path: Optional[str], sdp: str) -> None:
    """Keep an SDP exactly as it went over the wire (fixtures for the SDP parser tests)."""
    if not path:
        return
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(sdp)


def log(peer: str, message: str) -> None:
    """Progress to stderr; stdout carries only the machine-readable ready line."""
    print(f"[{peer} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# WHIP (RFC 9725) over plain HTTP on loopback.

OfferHandler = Callable[[str], str]


class WhipServer:
    """A WHIP endpoint that answers one offer: POST <any path> with application/sdp gets
    201 Created, a Location and the answer; DELETE Location ends the session. A second offer
    gets 409 (one session per receiver process)."""

    def __init__(self, listen: str, peer: str, on_offer: OfferHandler,
                 on_delete: Callable[[], None], log_: DecodeLog) -> None:
        host, _, port = listen.rpartition(":")
        self.peer = peer
        self.on_offer = on_offer
        self.on_delete = on_delete
        self.log = log_
        self.session_path: Optional[str] = None
        self.deleted = threading.Event()
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib name)
                log(server.peer, "http " + format % args)

            def _reply(self, code: int, body: bytes = b"", headers: Optional[dict[str, str]] = None) -> None:
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

            def do_OPTIONS(self) -> None:  # noqa: N802 (http.server naming)
                self._reply(204, headers={"Accept-Post": "application/sdp"})

            def do_POST(self) -> None:  # noqa: N802
                received = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", errors="replace")
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                if ctype != "application/sdp":
                    self._reply(415, b"WHIP wants Content-Type: application/sdp\n")
                    return
                with server.lock:
                    if server.session_path is not None:
                        self._reply(409, b"this receiver answers one offer only\n")
                        return
                    server.session_path = f"/whip/session/{os.getpid()}"
                server.log.offer_received_at = received
                try:
                    answer = server.on_offer(body)
                except Exception as e:  # any failure of the peer becomes a 400 with its reason
                    log(server.peer, f"offer rejected: {type(e).__name__}: {e}")
                    self._reply(400, f"{type(e).__name__}: {e}\n".encode())
                    return
                self._reply(201, answer.encode(), {
                    "Content-Type": "application/sdp",
                    "Location": server.session_path,
                })

            def do_DELETE(self) -> None:  # noqa: N802
                if server.session_path is None or self.path != server.session_path:
                    self._reply(404)
                    return
                self._reply(200)
                server.deleted.set()
                server.on_delete()

            def do_PATCH(self) -> None:  # noqa: N802
                self._reply(405, b"no trickle: candidates are in the SDP\n")

            def do_GET(self) -> None:  # noqa: N802
                self._reply(405)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.httpd = Server((host or "127.0.0.1", int(port)), Handler)
        self.url = f"http://{self.httpd.server_address[0]}:{self.httpd.server_address[1]}/whip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="whip", daemon=True)

    def start(self) -> None:
        """Serve, then print the ready line run-pair waits for."""
        self.thread.start()
        print(json.dumps({"ready": True, "whip": self.url}), flush=True)
        log(self.peer, f"WHIP endpoint {self.url}")

    def stop(self, linger: float = 1.5) -> None:
        """Stop serving; when the peer hung up without a DELETE yet, give its DELETE a moment
        (a sender closes its connection first and DELETEs right after)."""
        if self.session_path is not None and not self.deleted.is_set():
            self.deleted.wait(linger)
        self.httpd.shutdown()
        self.httpd.server_close()


def whip_post(url: str, offer: str, timeout: float = 20.0) -> tuple[str, str]:
    """POST the offer; returns (answer, absolute session URL). Raises with the server's reason
    on anything but 201."""
    req = urllib.request.Request(url, data=offer.encode(), method="POST",
                                 headers={"Content-Type": "application/sdp"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            if resp.status != 201:
                raise RuntimeError(f"WHIP POST {url}: {resp.status}, wanted 201 Created")
            location = resp.headers.get("Location")
            if not location:
                raise RuntimeError(f"WHIP POST {url}: 201 without Location")
            answer = resp.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        reason = e.read().decode("utf-8", errors="replace").strip()
        raise RuntimeError(f"WHIP POST {url}: {e.code} {reason}") from e
    return answer, urllib.parse.urljoin(url, location)


def whip_delete(session_url: str, timeout: float = 5.0) -> None:
    """End the session (RFC 9725 section 4.2); a receiver that already left is not an error."""
    req = urllib.request.Request(session_url, method="DELETE")
    try:
        with urllib.request.urlopen(req, timeout=timeout):
            pass
    except (urllib.error.URLError, OSError) as e:
        log("whip", f"DELETE {session_url}: {e}")


def install_stop_signals(stop: Callable[[], None]) -> None:
    """SIGTERM/SIGINT end the run cleanly, so a killed peer still writes its report."""
    def handler(signum: int, _frame: Any) -> None:
        stop()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def add_receiver_arguments(r: argparse.ArgumentParser) -> None:
    """The options every peer's `recv` mode shares (where to serve WHIP, how long)."""
    r.add_argument("--whip-listen", default="127.0.0.1:0", metavar="HOST:PORT",
                   help="where to serve WHIP (port 0: any free port; the URL is printed on "
                        "stdout as a JSON 'ready' line)")
    r.add_argument("--duration", type=float, default=10.0,
                   help="seconds to decode after connecting; a DELETE ends earlier")
    r.add_argument("--wait-offer", type=float, default=30.0,
                   help="give up (exit 2) when no session connects within this many seconds")
    r.add_argument("--steady-skip", type=float, default=1.0,
                   help="seconds after the first decoded frame left out of the fps window")


def add_report_arguments(r: argparse.ArgumentParser) -> None:
    """Where a `recv` mode writes its report and the SDP it saw."""
    r.add_argument("--report", help="JSON report file (frames, fps, size, first-frame time)")
    r.add_argument("--save-offer", help="write the received offer here, bytes unchanged")
    r.add_argument("--save-answer", help="write the answer sent back here, bytes unchanged")


def add_sender_arguments(s: argparse.ArgumentParser) -> None:
    """The options every peer's `send` mode shares."""
    s.add_argument("--whip", required=True, help="WHIP endpoint URL to POST the offer to")
    s.add_argument("--duration", type=float, default=10.0, help="seconds to send after connecting")
