#!/usr/bin/python3
"""GStreamer webrtcbin (Debian's 1.22) as a WHIP peer for Tincan's interop tests.

  recv: a WHIP endpoint on 127.0.0.1; webrtcbin answers one offer; VP8 and Opus are decoded
        (rtpvp8depay ! vp8dec, rtpopusdepay ! opusdec) into appsinks that count frames and
        read Tincan's burned-in frame counter. JSON report as the other peers write it.
  send: a WHIP client; videotestsrc 640x480@30 -> vp8enc and a 440 Hz audiotestsrc -> opusenc,
        offered sendonly with BUNDLE (gives the gstreamer-offer.sdp fixture).

Runs on Debian's /usr/bin/python3 (gi). libnice's UPnP discovery is turned off (it multicasts on
the real interface) and ICE uses 127.0.0.1 only, UDP only.

Examples:
  gst_peer.py recv --whip-listen 127.0.0.1:8080 --duration 10 --report r.json
  gst_peer.py send --whip http://127.0.0.1:8080/whip --duration 10 --stats s.json
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstVideo", "1.0")
gi.require_version("Nice", "0.1")
from gi.repository import Gst, GstSdp, GstVideo, GstWebRTC, Nice  # noqa: E402

import interop_common as ic  # noqa: E402

PEER = "gstreamer"


def gobject_ref(obj: Any) -> None:
    """g_object_ref through ctypes: PyGObject's own .ref() does not add a C reference."""
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    gobject = ctypes.CDLL("libgobject-2.0.so.0")
    gobject.g_object_ref.argtypes = [ctypes.c_void_p]
    gobject.g_object_ref.restype = ctypes.c_void_p
    gobject.g_object_ref(get_pointer(obj.__gpointer__, None))


def restrict_ice(webrtc: Gst.Element) -> None:
    """UPnP off, UDP only, and only 127.0.0.1 as a host address: libnice would otherwise gather
    every interface but loopback and multicast UPnP discovery on the real network."""
    ice = webrtc.get_property("ice-agent")
    # webrtcbin 1.22 never sinks its floating ICE object: PyGObject sinks it on first access and
    # frees it when the wrapper goes, under webrtcbin's feet. Give webrtcbin its reference back.
    if ice.__grefcount__ < 2:
        gobject_ref(ice)
    ice.set_property("ice-tcp", False)
    agent = ice.get_property("agent")
    agent.set_property("upnp", False)
    addr = Nice.Address.new()
    if not addr.set_from_string("127.0.0.1"):
        raise RuntimeError("libnice cannot parse 127.0.0.1")
    agent.add_local_address(addr)


def promise_reply(promise: Gst.Promise, what: str, timeout: float = 10.0) -> Optional[Gst.Structure]:
    """Wait for a webrtcbin promise; raise with webrtcbin's own error text."""
    deadline = time.monotonic() + timeout
    while promise.wait() == Gst.PromiseResult.PENDING:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: no reply in {timeout} s")
    if promise.wait() != Gst.PromiseResult.REPLIED:
        raise RuntimeError(f"{what}: promise {promise.wait().value_nick}")
    reply = promise.get_reply()
    if reply is not None and reply.has_field("error"):
        raise RuntimeError(f"{what}: {reply.get_value('error').message}")
    return reply


def set_description(webrtc: Gst.Element, signal: str, kind: GstWebRTC.WebRTCSDPType, text: str) -> None:
    """Parse SDP text and hand it to webrtcbin's set-local/remote-description."""
    res, msg = GstSdp.SDPMessage.new_from_text(text)
    if res != GstSdp.SDPResult.OK:
        raise ValueError(f"SDP does not parse: {res.value_nick}")
    desc = GstWebRTC.WebRTCSessionDescription.new(kind, msg)
    p = Gst.Promise.new()
    webrtc.emit(signal, desc, p)
    promise_reply(p, signal)


def local_sdp_after_gathering(webrtc: Gst.Element, timeout: float = 10.0) -> str:
    """No trickle: wait until gathering completes so the candidates are in the SDP."""
    deadline = time.monotonic() + timeout
    while webrtc.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
        if time.monotonic() > deadline:
            raise RuntimeError(f"ICE gathering not complete within {timeout} s")
        time.sleep(0.005)
    return webrtc.get_property("local-description").sdp.as_text()


def bus_error(pipeline: Gst.Pipeline) -> Optional[str]:
    """The first ERROR on the bus, if any (polled: no GLib main loop needed)."""
    msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
    if msg is None:
        return None
    err, dbg = msg.parse_error()
    return f"{err.message} ({dbg})"


# ----------------------------------------------------------------------------------------------
# recv

class Receiver:
    """webrtcbin answering one offer, decoders hung on its src pads as they appear."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.decoded = ic.DecodeLog(PEER)
        self.pipeline = Gst.Pipeline.new("recv")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.webrtc.set_property("latency", args.jitter_latency_ms)
        self.pipeline.add(self.webrtc)
        restrict_ice(self.webrtc)
        self.webrtc.connect("pad-added", self.on_pad)
        self.webrtc.connect("notify::connection-state", self.on_state)
        self.connected = threading.Event()
        self.stop = threading.Event()
        self.pipeline.set_state(Gst.State.PLAYING)

    def on_state(self, webrtc: Gst.Element, _pspec: Any) -> None:
        state = webrtc.get_property("connection-state")
        ic.log(PEER, f"connection {state.value_nick}")
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED and not self.connected.is_set():
            self.decoded.connected_at = time.monotonic()
            self.connected.set()
        elif state in (GstWebRTC.WebRTCPeerConnectionState.FAILED, GstWebRTC.WebRTCPeerConnectionState.CLOSED):
            self.stop.set()

    def on_pad(self, _webrtc: Gst.Element, pad: Gst.Pad) -> None:
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        s = caps.get_structure(0)
        media = s.get_string("media")
        enc = (s.get_string("encoding-name") or "").upper()
        ic.log(PEER, f"pad {pad.get_name()}: {media} {enc}")
        if media == "video" and enc == "VP8":
            desc = "queue ! rtpvp8depay ! vp8dec ! appsink name=sink emit-signals=true sync=false"
            cb = self.on_video
        elif media == "audio" and enc == "OPUS":
            desc = ("queue ! rtpopusdepay ! opusdec ! audio/x-raw,format=S16LE ! "
                    "appsink name=sink emit-signals=true sync=false")
            cb = self.on_audio
        else:
            desc = "fakesink sync=false"
            cb = None
        branch = Gst.parse_bin_from_description(desc, True)
        self.pipeline.add(branch)
        if cb is not None:
            branch.get_by_name("sink").connect("new-sample", cb)
        branch.sync_state_with_parent()
        if pad.link(branch.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            ic.log(PEER, f"cannot link {pad.get_name()}")

    def on_video(self, sink: Gst.Element) -> Gst.FlowReturn:
        at = time.monotonic()
        sample = sink.emit("pull-sample")
        info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
        buf = sample.get_buffer()
        pattern = None
        ok, m = buf.map(Gst.MapFlags.READ)
        if ok:
            try:
                pattern = ic.read_pattern(m.data, info.width, info.height, info.stride[0])
            finally:
                buf.unmap(m)
        self.decoded.video_frame(info.width, info.height, pattern, at)
        return Gst.FlowReturn.OK

    def on_audio(self, sink: Gst.Element) -> Gst.FlowReturn:
        sample = sink.emit("pull-sample")
        s = sample.get_caps().get_structure(0)
        channels = s.get_value("channels") or 1
        rate = s.get_value("rate") or 48000
        self.decoded.audio_frame(sample.get_buffer().get_size() // (2 * channels), rate)
        return Gst.FlowReturn.OK

    def answer(self, offer: str) -> str:
        """WHIP POST: remote offer, answer, gathered local description."""
        ic.save_sdp(self.args.save_offer, offer)
        set_description(self.webrtc, "set-remote-description", GstWebRTC.WebRTCSDPType.OFFER, offer)
        p = Gst.Promise.new()
        self.webrtc.emit("create-answer", None, p)
        reply = promise_reply(p, "create-answer")
        if reply is None:
            raise RuntimeError("create-answer: no reply")
        answer = reply.get_value("answer")
        p = Gst.Promise.new()
        self.webrtc.emit("set-local-description", answer, p)
        promise_reply(p, "set-local-description")
        sdp = local_sdp_after_gathering(self.webrtc)
        ic.save_sdp(self.args.save_answer, sdp)
        return sdp

    def run(self) -> int:
        server = ic.WhipServer(self.args.whip_listen, PEER, self.answer, self.stop.set, self.decoded)
        ic.install_stop_signals(self.stop.set)
        server.start()
        error = None
        rc = 0
        started = time.monotonic()
        ends_at: Optional[float] = None
        while not self.stop.is_set():
            err = bus_error(self.pipeline)
            if err:
                error = err
                rc = 1
                break
            now = time.monotonic()
            if ends_at is None:
                if self.connected.is_set():
                    ends_at = now + self.args.duration
                elif now - started > self.args.wait_offer:
                    error = f"no connected session within {self.args.wait_offer} s"
                    rc = 2
                    break
            elif now >= ends_at:
                break
            self.stop.wait(0.05)
        report = self.decoded.report(self.args.steady_skip, role="recv", duration=self.args.duration)
        self.pipeline.set_state(Gst.State.NULL)
        server.stop()
        if error:
            report["error"] = error
            ic.log(PEER, error)
        ic.write_json(self.args.report, report)
        ic.log(PEER, f"decoded {report['videoFramesDecoded']} video frames at {report['fps']} fps, "
                     f"{report['audioFramesDecoded']} audio frames; first frame {report['offerToFirstFrameMs']} ms")
        return rc


# ----------------------------------------------------------------------------------------------
# send

SEND_PIPELINE = (
    "webrtcbin name=webrtc bundle-policy=max-bundle "
    "videotestsrc is-live=true pattern=ball ! video/x-raw,width={w},height={h},framerate={fps}/1 ! "
    "videoconvert ! queue ! vp8enc deadline=1 cpu-used=8 target-bitrate={bitrate} keyframe-max-dist=3000 "
    "error-resilient=partitions ! rtpvp8pay name=vpay pt=96 picture-id-mode=15-bit ! "
    "application/x-rtp,media=video,encoding-name=VP8,payload=96 ! webrtc. "
    "audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample ! "
    "audio/x-raw,rate=48000,channels=1 ! opusenc ! rtpopuspay name=apay pt=111 ! "
    "application/x-rtp,media=audio,encoding-name=OPUS,payload=111 ! webrtc. "
)


def ecdsa_pem() -> tuple[str, str]:
    """A fresh self-signed P-256 certificate and key (PEM) and its sha-256 fingerprint, from
    the openssl command line."""
    with tempfile.TemporaryDirectory(prefix="gst-peer-") as d:
        key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=gst-peer"],
                       check=True, capture_output=True, timeout=20)
        out = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint", "-sha256"],
                             check=True, capture_output=True, text=True, timeout=20).stdout
        fingerprint = out.strip().split("=", 1)[1].upper()
        with open(cert, encoding="ascii") as c, open(key, encoding="ascii") as k:
            return c.read() + k.read(), fingerprint


def use_certificate(webrtc: Gst.Element, pem: str) -> None:
    """webrtcbin's default DTLS certificate is RSA, which aiortc refuses (ECDSA only): hand each
    DTLS decoder our certificate as it is made, before the fingerprint goes into the SDP."""
    def added(_bin: Gst.Bin, _sub: Gst.Bin, element: Gst.Element) -> None:  # noqa: ARG001
        factory = element.get_factory()
        if factory is not None and factory.get_name() == "dtlssrtpdec":
            element.set_property("pem", pem)
    webrtc.connect("deep-element-added", added)


def certificate_key_type(pem: str) -> str:
    """'rsa', 'ec' or what openssl names the public key of a PEM certificate: the sender's
    report says which certificate the receiver met (webrtcbin's default is RSA)."""
    out = subprocess.run(["openssl", "x509", "-noout", "-text"], input=pem, check=True,
                         capture_output=True, text=True, timeout=20).stdout
    m = re.search(r"Public Key Algorithm: (\S+)", out)
    name = m.group(1) if m else "unknown"
    return {"rsaEncryption": "rsa", "id-ecPublicKey": "ec"}.get(name, name)


def dtls_decoders(webrtc: Gst.Element) -> list[Gst.Element]:
    """Every dtlssrtpdec webrtcbin makes, collected as they are added."""
    found: list[Gst.Element] = []

    def added(_bin: Gst.Bin, _sub: Gst.Bin, element: Gst.Element) -> None:  # noqa: ARG001
        factory = element.get_factory()
        if factory is not None and factory.get_name() == "dtlssrtpdec":
            found.append(element)
    webrtc.connect("deep-element-added", added)
    return found


def run_send(args: argparse.Namespace) -> int:
    """Offer sendonly VP8+Opus, POST, apply the answer, send --duration s, DELETE."""
    w, h = (int(x) for x in args.size.lower().split("x"))
    pipeline = Gst.parse_launch(SEND_PIPELINE.format(w=w, h=h, fps=args.fps, bitrate=args.bitrate))
    webrtc = pipeline.get_by_name("webrtc")
    restrict_ice(webrtc)
    fingerprint = None
    if args.certificate == "ecdsa":
        pem, fingerprint = ecdsa_pem()
        use_certificate(webrtc, pem)
    decoders = dtls_decoders(webrtc)
    counts = {"video": 0, "audio": 0}
    sending = threading.Event()
    connected = threading.Event()
    failed = threading.Event()

    def counter(kind: str) -> Any:
        def probe(_pad: Gst.Pad, _info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
            if sending.is_set():
                counts[kind] += 1
            return Gst.PadProbeReturn.OK
        return probe

    pipeline.get_by_name("vpay").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, counter("video"))
    pipeline.get_by_name("apay").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, counter("audio"))

    def on_state(el: Gst.Element, _pspec: Any) -> None:
        state = el.get_property("connection-state")
        ic.log(PEER, f"connection {state.value_nick}")
        if state == GstWebRTC.WebRTCPeerConnectionState.CONNECTED:
            connected.set()
            sending.set()
        elif state in (GstWebRTC.WebRTCPeerConnectionState.FAILED, GstWebRTC.WebRTCPeerConnectionState.CLOSED):
            failed.set()

    webrtc.connect("notify::connection-state", on_state)
    negotiation = threading.Event()
    webrtc.connect("on-negotiation-needed", lambda _el: negotiation.set())
    ic.install_stop_signals(failed.set)
    report: dict[str, Any] = {"peer": PEER, "role": "send", "whip": args.whip}
    session: Optional[str] = None
    rc = 0
    try:
        pipeline.set_state(Gst.State.PLAYING)
        if not negotiation.wait(10):
            raise RuntimeError("webrtcbin never asked for negotiation")
        i = 0
        while (t := webrtc.emit("get-transceiver", i)) is not None:  # WHIP: we only send
            t.set_property("direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            i += 1
        offer_at = time.monotonic()
        p = Gst.Promise.new()
        webrtc.emit("create-offer", None, p)
        reply = promise_reply(p, "create-offer")
        if reply is None:
            raise RuntimeError("create-offer: no reply")
        offer = reply.get_value("offer")
        p = Gst.Promise.new()
        webrtc.emit("set-local-description", offer, p)
        promise_reply(p, "set-local-description")
        sdp = local_sdp_after_gathering(webrtc)
        if fingerprint:
            # webrtcbin read the fingerprint off its default certificate before ours went in.
            sdp = re.sub(r"a=fingerprint:sha-256 [0-9A-Fa-f:]+", f"a=fingerprint:sha-256 {fingerprint}", sdp)
        ic.save_sdp(args.save_offer, sdp)
        answer, session = ic.whip_post(args.whip, sdp)
        ic.save_sdp(args.save_answer, answer)
        set_description(webrtc, "set-remote-description", GstWebRTC.WebRTCSDPType.ANSWER, answer)
        deadline = time.monotonic() + args.connect_timeout
        while not connected.is_set():
            err = bus_error(pipeline)
            if err or failed.is_set() or time.monotonic() > deadline:
                raise RuntimeError(err or f"not connected within {args.connect_timeout} s")
            connected.wait(0.02)
        report["offerToConnectedMs"] = round((time.monotonic() - offer_at) * 1000, 1)
        if decoders and decoders[0].get_property("pem"):
            report["certificateKeyType"] = certificate_key_type(decoders[0].get_property("pem"))
        ic.log(PEER, f"sending for {args.duration} s")
        ends = time.monotonic() + args.duration
        while time.monotonic() < ends:
            err = bus_error(pipeline)
            if err or failed.is_set():
                raise RuntimeError(err or "connection failed while sending")
            time.sleep(0.05)
    except (RuntimeError, ValueError, OSError) as e:
        ic.log(PEER, f"send failed: {e}")
        report["error"] = str(e)
        rc = 1
    finally:
        sending.clear()
        pipeline.set_state(Gst.State.NULL)
        if session:
            ic.whip_delete(session)
    report.update({"videoFramesSent": counts["video"], "audioFramesSent": counts["audio"],
                   "width": w, "height": h, "captureFps": args.fps})
    ic.write_json(args.stats, report)
    ic.log(PEER, f"sent {counts['video']} video frames, {counts['audio']} audio frames")
    return rc


def run_read_ivf(args: argparse.Namespace) -> int:
    """Decode a VP8 IVF file (e.g. from `tincan capture --video-out x.ivf`) and print the
    burned-in frame numbers: checks that the receivers read Tincan's own picture."""
    pipeline = Gst.Pipeline.new("ivf")
    src = Gst.ElementFactory.make("filesrc")
    src.set_property("location", args.file)
    parse, dec, sink = (Gst.ElementFactory.make(n) for n in ("ivfparse", "vp8dec", "appsink"))
    sink.set_property("sync", False)
    for e in (src, parse, dec, sink):
        pipeline.add(e)
    src.link(parse)
    parse.link(dec)
    dec.link(sink)
    pipeline.set_state(Gst.State.PLAYING)
    counters: list[Optional[int]] = []
    size = (0, 0)
    while (sample := sink.emit("try-pull-sample", 5 * Gst.SECOND)) is not None:
        info = GstVideo.VideoInfo.new_from_caps(sample.get_caps())
        size = (info.width, info.height)
        buf = sample.get_buffer()
        ok, m = buf.map(Gst.MapFlags.READ)
        if ok:
            try:
                found = ic.read_pattern(m.data, info.width, info.height, info.stride[0])
            finally:
                buf.unmap(m)
            counters.append(found[0] if found else None)
    err = bus_error(pipeline)
    pipeline.set_state(Gst.State.NULL)
    print(json.dumps({"frames": len(counters), "width": size[0], "height": size[1], "counters": counters,
                      **({"error": err} if err else {})}))
    return 1 if err or not counters else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv", help="answer one WHIP offer with webrtcbin and count decoded frames")
    ic.add_receiver_arguments(r)
    r.add_argument("--jitter-latency-ms", type=int, default=200,
                   help="webrtcbin's jitter buffer latency (its default, 200, delays the first frame)")
    ic.add_report_arguments(r)
    s = sub.add_parser("send", help="offer videotestsrc VP8 + a tone to a WHIP endpoint")
    ic.add_sender_arguments(s)
    s.add_argument("--size", default="640x480", help="picture size WxH")
    s.add_argument("--fps", type=int, default=30, help="frames a second of videotestsrc")
    s.add_argument("--bitrate", type=int, default=1_000_000, help="vp8enc target bitrate, bit/s")
    s.add_argument("--certificate", choices=["ecdsa", "default"], default="ecdsa",
                   help="DTLS certificate: a P-256 one made with openssl (aiortc accepts only "
                        "ECDSA), or webrtcbin's built-in RSA one")
    s.add_argument("--connect-timeout", type=float, default=10.0,
                   help="seconds from the answer to 'connected' before giving up")
    s.add_argument("--stats", help="JSON report: videoFramesSent, audioFramesSent, timings")
    s.add_argument("--save-offer", help="write the offer POSTed here, bytes unchanged")
    s.add_argument("--save-answer", help="write the answer received here, bytes unchanged")
    i = sub.add_parser("read-ivf", help="decode a VP8 IVF file and print its burned-in frame numbers")
    i.add_argument("file")
    args = parser.parse_args()
    Gst.init(None)
    if args.mode == "read-ivf":
        return run_read_ivf(args)
    if args.mode == "recv":
        return Receiver(args).run()
    return run_send(args)


if __name__ == "__main__":
    sys.exit(main())
