#!/usr/bin/env python3
"""Headless Chromium (Debian's chromium + chromium-driver, driven by selenium) as a WHIP peer
for Tincan's interop tests.

  recv: a WHIP endpoint on 127.0.0.1. The offer goes into a page's RTCPeerConnection with
        execute_script; the page answers (after ICE gathering: no trickle), plays the tracks,
        counts decoded video frames (getStats inbound-rtp framesDecoded, sampled every 50 ms by
        the page's clock), reads Tincan's burned-in frame counter from the picture
        (requestVideoFrameCallback + canvas), and counts decoded audio (totalSamplesReceived -
        concealedSamples).
  send: getUserMedia on Chromium's fake camera and microphone (--constraints, as a page passes
        them), sendonly transceivers, the offer POSTed to --whip; frames sent from getStats
        outbound-rtp framesSent.

WHIP runs in Python (the page would need CORS from the other peer). Flags from
docs/interop.md: loopback candidates allowed, no mDNS hiding, fake devices and UI.

Examples:
  chromium_peer.py recv --whip-listen 127.0.0.1:8080 --duration 10 --report r.json
  chromium_peer.py send --whip http://127.0.0.1:8080/whip --duration 10 --stats s.json \\
      --constraints '{"video":{"width":640,"height":480,"frameRate":{"ideal":10,"max":15}},"audio":true}'
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shutil
import socketserver
import sys
import tempfile
import threading
import time
from typing import Any, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

import interop_common as ic  # noqa: E402

PEER = "chromium"

PAGE = r"""<!doctype html>
<html><head><meta charset="utf-8"><title>tincan interop</title></head>
<body><video id="v" autoplay playsinline></video><canvas id="c" style="display:none"></canvas>
<script>
"use strict";
const T = window.T = {samples: [], frames: [], firstFrameWall: null, connectedWall: null,
                      state: "new", error: null};
const wall = () => performance.timeOrigin + performance.now();
let pc = null;
let poller = null;

function waitGathering(p) {
  if (p.iceGatheringState === "complete") return Promise.resolve();
  return new Promise(resolve => {
    const timer = setTimeout(resolve, 5000);
    p.addEventListener("icegatheringstatechange", () => {
      if (p.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
    });
  });
}

function watch(p) {
  p.addEventListener("connectionstatechange", () => {
    T.state = p.connectionState;
    if (p.connectionState === "connected" && T.connectedWall === null) T.connectedWall = wall();
  });
}

// Tincan's SyntheticPattern: 16x4 cells of 1/24 of the picture, 24-bit frame, 32-bit ms, check.
function readPattern(video, w, h) {
  const c = document.getElementById("c");
  const bw = Math.ceil(16 * w / 24), bh = Math.ceil(4 * h / 24);
  if (w < 48 || h < 48) return null;
  c.width = bw; c.height = bh;
  const ctx = c.getContext("2d", {willReadFrequently: true});
  ctx.drawImage(video, 0, 0, w, h, 0, 0, w, h);
  const px = ctx.getImageData(0, 0, bw, bh).data;
  const bits = [];
  for (let i = 0; i < 64; i++) {
    const col = i % 16, row = Math.floor(i / 16);
    const x0 = Math.floor(col * w / 24), x1 = Math.floor((col + 1) * w / 24);
    const y0 = Math.floor(row * h / 24), y1 = Math.floor((row + 1) * h / 24);
    const qw = Math.floor((x1 - x0) / 4), qh = Math.floor((y1 - y0) / 4);
    let sum = 0, n = 0;
    for (let y = y0 + qh; y < Math.max(y0 + qh + 1, y1 - qh); y++)
      for (let x = x0 + qw; x < Math.max(x0 + qw + 1, x1 - qw); x++) {
        const o = (y * bw + x) * 4;
        sum += 0.299 * px[o] + 0.587 * px[o + 1] + 0.114 * px[o + 2]; n++;
      }
    bits.push(16 + (sum / n) * 219 / 255 >= 126);
  }
  const val = (a, b) => bits.slice(a, b).reduce((v, bit) => (v * 2 + (bit ? 1 : 0)), 0);
  const f = val(0, 24), ms = val(24, 56), chk = val(56, 64);
  let x = 0xA5;
  for (const v of [f, ms]) x ^= (v ^ (v >>> 8) ^ (v >>> 16) ^ (v >>> 24));
  return ((x & 0xFF) === chk) ? [f, ms] : null;
}

function onFrame(now, meta) {
  const v = document.getElementById("v");
  const t = wall();
  if (T.firstFrameWall === null) T.firstFrameWall = t;
  let pattern = null;
  try { pattern = readPattern(v, meta.width, meta.height); } catch (e) { T.patternError = String(e); }
  T.frames.push([t, meta.width, meta.height, pattern ? pattern[0] : null, pattern ? pattern[1] : null]);
  v.requestVideoFrameCallback(onFrame);
}

async function poll() {
  if (!pc) return;
  const s = {t: wall(), fd: 0, w: 0, h: 0, fs: 0, fe: 0, sw: 0, sh: 0, as: 0, ac: 0, ap: 0, aps: 0};
  (await pc.getStats()).forEach(r => {
    if (r.type === "inbound-rtp" && r.kind === "video") {
      s.fd = r.framesDecoded || 0; s.w = r.frameWidth || 0; s.h = r.frameHeight || 0;
      s.fz = r.freezeCount || 0; s.tfd = r.totalFreezesDuration || 0; s.fps = r.framesPerSecond || 0;
      s.fr = r.framesReceived || 0; s.br = r.bytesReceived || 0; s.vl = r.packetsLost || 0;
    } else if (r.type === "inbound-rtp" && r.kind === "audio") {
      s.as = r.totalSamplesReceived || 0; s.ac = r.concealedSamples || 0; s.ap = r.packetsReceived || 0;
    } else if (r.type === "outbound-rtp" && r.kind === "video") {
      s.fs = r.framesSent || 0; s.fe = r.framesEncoded || 0; s.sw = r.frameWidth || 0; s.sh = r.frameHeight || 0;
      s.bs = r.bytesSent || 0; s.rtx = r.retransmittedBytesSent || 0; s.ql = r.qualityLimitationReason || "";
    } else if (r.type === "outbound-rtp" && r.kind === "audio") {
      s.aps = r.packetsSent || 0;
    }
  });
  T.samples.push(s);
}

window.recvOffer = async (sdp) => {
  pc = new RTCPeerConnection({iceServers: []});
  watch(pc);
  const stream = new MediaStream();
  pc.ontrack = (e) => {
    stream.addTrack(e.track);
    const v = document.getElementById("v");
    if (v.srcObject !== stream) v.srcObject = stream;
    v.play().catch(err => { T.error = "play: " + err; });
    if (e.track.kind === "video") v.requestVideoFrameCallback(onFrame);
  };
  await pc.setRemoteDescription({type: "offer", sdp});
  await pc.setLocalDescription(await pc.createAnswer());
  await waitGathering(pc);
  poller = setInterval(poll, 50);
  return pc.localDescription.sdp;
};

window.makeOffer = async (constraints, codecs, degradation) => {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia(constraints);
  } catch (e) {
    return {error: e.name + ": " + e.message + (e.constraint ? " (" + e.constraint + ")" : "")};
  }
  pc = new RTCPeerConnection({iceServers: []});
  watch(pc);
  const settings = {};
  for (const track of stream.getTracks()) {
    const tr = pc.addTransceiver(track, {direction: "sendonly", streams: [stream]});
    settings[track.kind] = track.getSettings();
    if (codecs && codecs.length) {
      const caps = RTCRtpSender.getCapabilities(track.kind).codecs;
      const keep = caps.filter(c => codecs.includes(c.mimeType.toLowerCase().split("/")[1]));
      if (keep.length) tr.setCodecPreferences(keep);
    }
  }
  if (degradation) {  // Chromium downscales when the peer gives no bandwidth estimate
    for (const sender of pc.getSenders()) {
      if (!sender.track || sender.track.kind !== "video") continue;
      const p = sender.getParameters();
      p.degradationPreference = degradation;
      await sender.setParameters(p).catch(e => { T.error = "setParameters: " + e; });
    }
  }
  await pc.setLocalDescription();
  await waitGathering(pc);
  poller = setInterval(poll, 50);
  return {sdp: pc.localDescription.sdp, settings};
};

window.applyAnswer = async (sdp) => { await pc.setRemoteDescription({type: "answer", sdp}); };
window.closePc = async () => { clearInterval(poller); await poll(); if (pc) pc.close(); };
</script></body></html>
"""

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--allow-loopback-in-peer-connection",        # else no candidates on lo
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",            # no traffic to anything but our peers
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
]


class PageServer:
    """Serves PAGE on 127.0.0.1: a secure context (getUserMedia) that is not a data: URL."""

    def __init__(self) -> None:
        body = PAGE.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class Browser:
    """One headless Chromium with the page loaded; selenium calls serialized by a lock (the
    WHIP thread and the main thread both talk to it)."""

    def __init__(self, fake_fps: int, extra_flags: list[str]) -> None:
        self.page = PageServer()
        self.profile = tempfile.mkdtemp(prefix="tincan-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for f in CHROMIUM_FLAGS + extra_flags:
            opts.add_argument(f)
        opts.add_argument(f"--use-fake-device-for-media-stream=fps={fake_fps}")
        opts.add_argument(f"--user-data-dir={self.profile}")
        driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
        self.lock = threading.Lock()
        self.driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
        self.driver.set_script_timeout(30)
        self.driver.get(self.page.url)

    def call(self, fn: str, *args: Any) -> Any:
        """Await window[fn](...args) in the page and return its value."""
        script = ("const cb = arguments[arguments.length - 1];"
                  f"Promise.resolve(window.{fn}(...Array.from(arguments).slice(0, -1)))"
                  ".then(cb, e => cb({__error: String(e)}));")
        with self.lock:
            out = self.driver.execute_async_script(script, *args)
        if isinstance(out, dict) and "__error" in out:
            raise RuntimeError(f"page {fn}: {out['__error']}")
        return out

    def value(self, expr: str) -> Any:
        with self.lock:
            return self.driver.execute_script(f"return {expr};")

    def version(self) -> str:
        caps = self.driver.capabilities
        return str(caps.get("browserVersion", "?"))

    def quit(self) -> None:
        try:
            with self.lock:
                self.driver.quit()
        except WebDriverException as e:
            ic.log(PEER, f"quit: {e}")
        self.page.stop()
        shutil.rmtree(self.profile, ignore_errors=True)


def wall_to_monotonic(wall_ms: float) -> float:
    """Page wall-clock ms to this process's monotonic seconds (same host, same system clock)."""
    return time.monotonic() - (time.time() - wall_ms / 1000.0)


# ----------------------------------------------------------------------------------------------
# recv

def recv_report(browser: Browser, decoded: ic.DecodeLog, steady_skip: float, duration: float) -> dict[str, Any]:
    """Turn the page's samples into the common report: counts from getStats, the first frame and
    the burned-in counters from requestVideoFrameCallback."""
    t = browser.value("window.T")
    samples: list[dict[str, Any]] = t.get("samples") or []
    frames: list[list[Any]] = t.get("frames") or []
    for f in frames:
        at = wall_to_monotonic(f[0])
        pattern = (int(f[3]), int(f[4])) if f[3] is not None else None
        if pattern is not None:
            decoded.counters.append(pattern[0])
            decoded.latencies_ms.append((int(at * 1000) - pattern[1]) & 0xFFFFFFFF)
    if t.get("connectedWall"):
        decoded.connected_at = wall_to_monotonic(t["connectedWall"])
    base = decoded.report(steady_skip, role="recv", duration=duration)
    last = samples[-1] if samples else {}
    first_wall = t.get("firstFrameWall")
    if first_wall is None:  # no requestVideoFrameCallback: the first sample with a decoded frame
        first_wall = next((s["t"] for s in samples if s["fd"] > 0), None)
    fps = window = None
    if first_wall is not None:
        steady = [s for s in samples if s["t"] >= first_wall + steady_skip * 1000 and s["fd"] > 0]
        # The window ends where the count last grew: samples after the sender stopped (until the
        # DELETE) would stretch it and understate the rate.
        while len(steady) >= 2 and steady[-2]["fd"] == steady[-1]["fd"]:
            steady.pop()
        if len(steady) >= 2 and steady[-1]["t"] > steady[0]["t"]:
            window = (steady[-1]["t"] - steady[0]["t"]) / 1000
            fps = round((steady[-1]["fd"] - steady[0]["fd"]) / window, 3)
            window = round(window, 3)
    audio_samples = max(0, int(last.get("as", 0)) - int(last.get("ac", 0)))
    # Chromium's own freeze accounting (webrtc-stats freezeCount / totalFreezesDuration). A
    # freeze lasts at least 150 ms and samples are 50 ms apart, so a sample's growth of
    # totalFreezesDuration is one freeze: the longest is the largest step.
    longest = 0.0
    for a, b in zip(samples, samples[1:]):
        if b.get("fz", 0) > a.get("fz", 0):
            longest = max(longest, (b.get("tfd", 0) - a.get("tfd", 0)) * 1000)
    base.update({
        "videoFramesDecoded": int(last.get("fd", 0)),
        "width": int(last.get("w", 0)),
        "height": int(last.get("h", 0)),
        "sizes": {f"{int(last.get('w', 0))}x{int(last.get('h', 0))}": int(last.get("fd", 0))},
        "fps": fps,
        "fpsWindowS": window,
        "audioFramesDecoded": int(last.get("ap", 0)),
        "audioFramesNote": "Chromium: audio packets received (one Opus frame each)",
        "audioSamplesDecoded": audio_samples,
        "audioSeconds": round(audio_samples / 48000, 3),
        "offerToFirstFrameMs": (round((wall_to_monotonic(first_wall) - decoded.offer_received_at) * 1000, 1)
                                if first_wall is not None and decoded.offer_received_at else None),
        "renderedFrames": len(frames),
        "freezeCount": int(last.get("fz", 0)),
        "longestFreezeMs": round(longest, 1),
        "totalFreezeMs": round(float(last.get("tfd", 0)) * 1000, 1),
        "framesReceived": int(last.get("fr", 0)),
        "bytesReceived": int(last.get("br", 0)),
        "videoPacketsLost": int(last.get("vl", 0)),
        "framesPerSecondLast": last.get("fps"),
        "browserVersion": browser.version(),
    })
    if t.get("error"):
        base["pageError"] = t["error"]
    return base


def run_recv(args: argparse.Namespace) -> int:
    """Serve WHIP; the page answers; decode until --duration after connecting or DELETE."""
    browser = Browser(args.fake_fps, args.chromium_flag or [])
    decoded = ic.DecodeLog(PEER)
    stop = threading.Event()

    def on_offer(offer: str) -> str:
        ic.save_sdp(args.save_offer, offer)
        answer = browser.call("recvOffer", offer)
        if not isinstance(answer, str):
            raise RuntimeError(f"page answered {answer!r}")
        ic.save_sdp(args.save_answer, answer)
        return answer

    server = ic.WhipServer(args.whip_listen, PEER, on_offer, stop.set, decoded)
    ic.install_stop_signals(stop.set)
    server.start()
    rc = 0
    error: Optional[str] = None
    started = time.monotonic()
    ends_at: Optional[float] = None
    try:
        while not stop.is_set():
            now = time.monotonic()
            if ends_at is None:
                if browser.value("window.T.state") == "connected":
                    ends_at = now + args.duration
                    ic.log(PEER, "connected")
                elif now - started > args.wait_offer:
                    error = f"no connected session within {args.wait_offer} s"
                    rc = 2
                    break
            elif now >= ends_at:
                break
            elif browser.value("window.T.state") in ("failed", "closed"):
                error = "connection " + browser.value("window.T.state")
                break
            stop.wait(0.05)
        report = recv_report(browser, decoded, args.steady_skip, args.duration)
    finally:
        server.stop()
        browser.quit()
    if error:
        report["error"] = error
        ic.log(PEER, error)
    ic.write_json(args.report, report)
    ic.log(PEER, f"decoded {report['videoFramesDecoded']} video frames at {report['fps']} fps, "
                 f"{report['audioSamplesDecoded']} audio samples; first frame {report['offerToFirstFrameMs']} ms")
    return rc


# ----------------------------------------------------------------------------------------------
# send

def sent_sizes(samples: list[dict[str, Any]]) -> dict[str, int]:
    """Frames sent at each size (outbound-rtp frameWidth x frameHeight between samples):
    Chromium scales down on a thin link."""
    sizes: dict[str, int] = {}
    for a, b in zip(samples, samples[1:]):
        n = int(b.get("fs", 0)) - int(a.get("fs", 0))
        if n > 0:
            key = f"{int(b.get('sw', 0))}x{int(b.get('sh', 0))}"
            sizes[key] = sizes.get(key, 0) + n
    return sizes


def run_send(args: argparse.Namespace) -> int:
    """getUserMedia, offer, POST, answer, send --duration s after connecting, close, DELETE."""
    constraints = json.loads(args.constraints)
    codecs = [c.strip().lower() for c in args.codecs.split(",")] if args.codecs else []
    browser = Browser(args.fake_fps, args.chromium_flag or [])
    report: dict[str, Any] = {"peer": PEER, "role": "send", "whip": args.whip, "constraints": constraints}
    session: Optional[str] = None
    rc = 0
    stop = threading.Event()
    ic.install_stop_signals(stop.set)
    try:
        report["browserVersion"] = browser.version()
        offer_at = time.monotonic()
        made = browser.call("makeOffer", constraints, codecs, args.degradation_preference)
        if "error" in made:
            raise RuntimeError(f"getUserMedia: {made['error']}")
        report["settings"] = made["settings"]
        ic.save_sdp(args.save_offer, made["sdp"])
        answer, session = ic.whip_post(args.whip, made["sdp"])
        ic.save_sdp(args.save_answer, answer)
        browser.call("applyAnswer", answer)
        deadline = time.monotonic() + args.connect_timeout
        while browser.value("window.T.state") != "connected":
            if time.monotonic() > deadline or stop.is_set():
                raise RuntimeError(f"not connected within {args.connect_timeout} s "
                                   f"(state {browser.value('window.T.state')})")
            time.sleep(0.02)
        report["offerToConnectedMs"] = round((time.monotonic() - offer_at) * 1000, 1)
        ic.log(PEER, f"sending for {args.duration} s")
        ends = time.monotonic() + args.duration
        while time.monotonic() < ends and not stop.is_set():
            if browser.value("window.T.state") in ("failed", "closed"):
                raise RuntimeError("connection " + browser.value("window.T.state"))
            time.sleep(0.1)
        browser.call("closePc")
    except (RuntimeError, OSError, ValueError, WebDriverException) as e:
        ic.log(PEER, f"send failed: {e}")
        report["error"] = str(e)
        rc = 1
    finally:
        samples: list[dict[str, Any]] = []
        try:
            samples = browser.value("window.T.samples") or []
        except WebDriverException as e:
            ic.log(PEER, f"no stats: {e}")
        browser.quit()
        if session:
            ic.whip_delete(session)
    last = max(samples, key=lambda x: x.get("fs", 0)) if samples else {}
    report.update({"videoFramesSent": int(last.get("fs", 0)), "videoFramesEncoded": int(last.get("fe", 0)),
                   "width": int(last.get("sw", 0)), "height": int(last.get("sh", 0)),
                   "audioPacketsSent": int(last.get("aps", 0)), "audioFramesSent": int(last.get("aps", 0)),
                   "videoBytesSent": int(last.get("bs", 0)), "retransmittedBytesSent": int(last.get("rtx", 0)),
                   "sizesSent": sent_sizes(samples), "qualityLimitationReason": last.get("ql", ""),
                   "captureFps": args.fake_fps})
    ic.write_json(args.stats, report)
    ic.log(PEER, f"sent {report['videoFramesSent']} video frames at {report['width']}x{report['height']}, "
                 f"{report['audioPacketsSent']} audio packets")
    return rc


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fake-fps", type=int, default=30,
                        help="frame rate of Chromium's fake camera (--use-fake-device-for-media-stream=fps=N)")
    parser.add_argument("--chromium-flag", action="append", metavar="FLAG",
                        help="extra Chromium command-line flag (repeatable)")
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv", help="answer one WHIP offer in a page and count decoded frames")
    ic.add_receiver_arguments(r)
    ic.add_report_arguments(r)
    s = sub.add_parser("send", help="offer the fake camera and microphone to a WHIP endpoint")
    ic.add_sender_arguments(s)
    s.add_argument("--constraints", default='{"video":{"width":640,"height":480},"audio":true}',
                   help="getUserMedia constraints, JSON as a page passes them")
    s.add_argument("--codecs", default="",
                   help="comma-separated codec names to keep (e.g. vp8,opus,rtx); default: "
                        "Chromium's own offer, every codec it has")
    s.add_argument("--degradation-preference", default="maintain-resolution",
                   choices=["maintain-resolution", "maintain-framerate", "balanced", ""],
                   help="RTCRtpSendParameters.degradationPreference of the video sender; the "
                        "default keeps 640x480 when the receiver sends no bandwidth estimate "
                        "('' leaves Chromium's default, which downscales)")
    s.add_argument("--connect-timeout", type=float, default=10.0,
                   help="seconds from the answer to 'connected' before giving up")
    s.add_argument("--stats", help="JSON report: videoFramesSent, settings, timings")
    s.add_argument("--save-offer", help="write the offer POSTed here, bytes unchanged")
    s.add_argument("--save-answer", help="write the answer received here, bytes unchanged")
    args = parser.parse_args()
    return run_recv(args) if args.mode == "recv" else run_send(args)


if __name__ == "__main__":
    sys.exit(main())
