#!/usr/bin/env python3
"""Do real peers accept the SDP Tincan writes? (the SDP module)

Three peers, each in both roles, with no media flowing (only the descriptions are judged):
  1. aiortc, headless Chromium and GStreamer webrtcbin each create a sendonly VP8+Opus offer
     (<peer>-offer.sdp);
  2. Tincan answers them and writes its own sendonly offer (swift test, PeerExchangeTests,
     with TINCAN_SDP_EXCHANGE_DIR set);
  3. each peer applies Tincan's answer (setRemoteDescription / set-remote-description) and
     answers Tincan's offer (<peer>-answer-to-tincan.sdp);
  4. Tincan applies those answers (swift test again) and must find every section accepted.
Any refusal is printed with the peer's own words and the exit code is 1.

Needs: aiortc and selenium (PyPI) for this interpreter; chromium, chromium-driver,
gstreamer1.0-plugins-bad, gstreamer1.0-nice, python3-gi (Debian) for /usr/bin/python3.
Run from the package root after `swift build --build-tests`:
  python3 scripts/sdp/peer-acceptance.py [--keep DIR]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def wait_for(path: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.05)
    time.sleep(0.05)
    with open(path, newline="") as f:
        return f.read()


def write(path: str, text: str) -> None:
    with open(path + ".tmp", "w", newline="") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------- GStreamer (own interpreter)

def gst_worker(folder: str) -> int:
    """Runs under /usr/bin/python3 (python3-gi): webrtcbin offers, then applies Tincan's answer
    and answers Tincan's offer. Writes gstreamer-result.json."""
    import gi
    gi.require_version("Gst", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    gi.require_version("GstSdp", "1.0")
    gi.require_version("Nice", "0.1")
    from gi.repository import Gst, GstSdp, GstWebRTC, Nice
    Gst.init(None)
    result: dict = {}

    def reply(promise, what):
        promise.wait()
        r = promise.get_reply()
        if r is not None and r.has_field("error"):
            raise RuntimeError(f"{what}: {r.get_value('error').message}")
        return r

    def description(kind, text):
        res, msg = GstSdp.SDPMessage.new_from_text(text)
        if res != GstSdp.SDPResult.OK:
            raise RuntimeError(f"GstSdp cannot parse it: {res.value_nick}")
        return GstWebRTC.WebRTCSessionDescription.new(kind, msg)

    def loopback_only(bin_):
        """UPnP off, UDP only, 127.0.0.1 only: libnice would otherwise multicast UPnP discovery
        on the real network once gathering starts."""
        import ctypes
        ice = bin_.get_property("ice-agent")
        if ice.__grefcount__ < 2:  # webrtcbin 1.22 never sinks its floating ICE object
            get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
            get_pointer.restype = ctypes.c_void_p
            get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
            gobject = ctypes.CDLL("libgobject-2.0.so.0")
            gobject.g_object_ref.argtypes = [ctypes.c_void_p]
            gobject.g_object_ref.restype = ctypes.c_void_p
            gobject.g_object_ref(get_pointer(ice.__gpointer__, None))
        ice.set_property("ice-tcp", False)
        agent = ice.get_property("agent")
        agent.set_property("upnp", False)
        address = Nice.Address.new()
        address.set_from_string("127.0.0.1")
        agent.add_local_address(address)

    def webrtcbin():
        pipe = Gst.Pipeline.new()
        bin_ = Gst.ElementFactory.make("webrtcbin")
        bin_.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        pipe.add(bin_)
        loopback_only(bin_)
        pipe.set_state(Gst.State.PLAYING)
        return pipe, bin_

    # Step 1: webrtcbin's offer. No set-local-description: that would start gathering.
    pipe, offerer = webrtcbin()
    for caps in ("application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000",
                 "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,encoding-params=(string)2"):
        offerer.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY, Gst.Caps.from_string(caps))
    p = Gst.Promise.new()
    offerer.emit("create-offer", None, p)
    offer_reply = reply(p, "create-offer")  # keep: the offer lives in this structure
    offer = offer_reply.get_value("offer")
    write(os.path.join(folder, "gstreamer-offer.sdp"), offer.sdp.as_text())

    # Step 3a: Tincan's answer to it. webrtcbin checks an answer against its local offer, so
    # the offer becomes the local description only now, right before (gathering starts, but
    # the answer is judged first).
    answer_text = wait_for(os.path.join(folder, "gstreamer-answer-by-tincan.sdp"))
    try:
        p = Gst.Promise.new()
        offerer.emit("set-local-description", offer, p)
        reply(p, "set-local-description")
        p = Gst.Promise.new()
        offerer.emit("set-remote-description", description(GstWebRTC.WebRTCSDPType.ANSWER, answer_text), p)
        reply(p, "set-remote-description(answer)")
        result["accepts Tincan's answer"] = "yes"
    except Exception as e:  # noqa: BLE001 - the peer's words are the result
        result["accepts Tincan's answer"] = f"NO: {e}"
    pipe.set_state(Gst.State.NULL)

    # Step 3b: answer Tincan's offer.
    offer_text = wait_for(os.path.join(folder, "tincan-offer.sdp"))
    pipe, answerer = webrtcbin()
    try:
        p = Gst.Promise.new()
        answerer.emit("set-remote-description", description(GstWebRTC.WebRTCSDPType.OFFER, offer_text), p)
        reply(p, "set-remote-description(offer)")
        p = Gst.Promise.new()
        answerer.emit("create-answer", None, p)
        answer_reply = reply(p, "create-answer")
        answer = answer_reply.get_value("answer")
        write(os.path.join(folder, "gstreamer-answer-to-tincan.sdp"), answer.sdp.as_text())
        result["answers Tincan's offer"] = "yes"
    except Exception as e:  # noqa: BLE001
        result["answers Tincan's offer"] = f"NO: {e}"
    pipe.set_state(Gst.State.NULL)
    write(os.path.join(folder, "gstreamer-result.json"), json.dumps(result))
    return 0


# ---------------------------------------------------------------- aiortc

class AiortcPeer:
    def __init__(self, folder: str) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection
        self.folder = folder
        self.loop = asyncio.new_event_loop()
        self.config = RTCConfiguration(iceServers=[])
        self.offerer = RTCPeerConnection(self.config)
        self.result: dict = {}

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def offer(self) -> None:
        async def go():
            self.offerer.addTransceiver("video", direction="sendonly")
            self.offerer.addTransceiver("audio", direction="sendonly")
            # aiortc gathers in setLocalDescription; createOffer alone has no transport yet.
            await self.offerer.setLocalDescription(await self.offerer.createOffer())
            write(os.path.join(self.folder, "aiortc-offer.sdp"), self.offerer.localDescription.sdp)
        self.run(go())

    def finish(self) -> None:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        async def go():
            answer = wait_for(os.path.join(self.folder, "aiortc-answer-by-tincan.sdp"))
            try:
                await self.offerer.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
                codecs = [[c.mimeType for c in t._codecs] for t in self.offerer.getTransceivers()]
                self.result["accepts Tincan's answer"] = f"yes, codecs {codecs}"
            except Exception as e:  # noqa: BLE001
                self.result["accepts Tincan's answer"] = f"NO: {e!r}"
            await self.offerer.close()
            offer = wait_for(os.path.join(self.folder, "tincan-offer.sdp"))
            answerer = RTCPeerConnection(self.config)
            try:
                await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
                await answerer.setLocalDescription(await answerer.createAnswer())
                write(os.path.join(self.folder, "aiortc-answer-to-tincan.sdp"), answerer.localDescription.sdp)
                self.result["answers Tincan's offer"] = "yes"
            except Exception as e:  # noqa: BLE001
                self.result["answers Tincan's offer"] = f"NO: {e!r}"
            await answerer.close()
        self.run(go())


# ---------------------------------------------------------------- Chromium

PAGE_JS = r"""
window.T = {
  async offer() {
    window.pc = new RTCPeerConnection();
    pc.addTransceiver("audio", {direction: "sendonly"});
    pc.addTransceiver("video", {direction: "sendonly"});
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    return offer.sdp;
  },
  async applyAnswer(sdp) {
    await pc.setRemoteDescription({type: "answer", sdp});
    return pc.getTransceivers().map(t => [t.mid, t.currentDirection]);
  },
  async answer(sdp) {
    const a = new RTCPeerConnection();
    await a.setRemoteDescription({type: "offer", sdp});
    const answer = await a.createAnswer();
    await a.setLocalDescription(answer);
    return answer.sdp;
  },
};
"""


class ChromiumPeer:
    def __init__(self, folder: str) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.folder = folder
        self.profile = tempfile.mkdtemp(prefix="tincan-sdp-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--allow-loopback-in-peer-connection",
                     "--disable-features=WebRtcHideLocalIpsWithMdns", f"--user-data-dir={self.profile}"):
            opts.add_argument(flag)
        service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
        self.driver = webdriver.Chrome(options=opts, service=service)
        self.driver.set_script_timeout(20)
        self.driver.get("data:text/html,<title>tincan sdp</title>")
        self.driver.execute_script(PAGE_JS)
        self.result: dict = {}

    def call(self, fn: str, *args):
        script = ("const cb = arguments[arguments.length - 1];"
                  f"window.T.{fn}(...Array.from(arguments).slice(0, -1))"
                  ".then(cb, e => cb({error: String(e)}));")
        out = self.driver.execute_async_script(script, *args)
        if isinstance(out, dict) and "error" in out:
            raise RuntimeError(out["error"])
        return out

    def offer(self) -> None:
        write(os.path.join(self.folder, "chromium-offer.sdp"), self.call("offer"))

    def finish(self) -> None:
        try:
            dirs = self.call("applyAnswer", wait_for(os.path.join(self.folder, "chromium-answer-by-tincan.sdp")))
            self.result["accepts Tincan's answer"] = f"yes, {dirs}"
        except Exception as e:  # noqa: BLE001
            self.result["accepts Tincan's answer"] = f"NO: {e}"
        try:
            answer = self.call("answer", wait_for(os.path.join(self.folder, "tincan-offer.sdp")))
            write(os.path.join(self.folder, "chromium-answer-to-tincan.sdp"), answer)
            self.result["answers Tincan's offer"] = "yes"
        except Exception as e:  # noqa: BLE001
            self.result["answers Tincan's offer"] = f"NO: {e}"

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


# ---------------------------------------------------------------- Tincan

def tincan(folder: str) -> str:
    env = dict(os.environ, TINCAN_SDP_EXCHANGE_DIR=folder)
    run = subprocess.run(["swift", "test", "--skip-build", "--filter", "PeerExchangeTests"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    lines = [l for l in (run.stdout + run.stderr).splitlines() if "✘" in l or "Test run" in l or "recorded an issue" in l]
    return ("ok" if run.returncode == 0 else "FAILED") + ": " + " | ".join(lines)


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--gst-worker":
        return gst_worker(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", help="folder to leave the exchanged SDP in (default: a temporary one)")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="tincan-sdp-exchange-")
    os.makedirs(folder, exist_ok=True)
    gst = subprocess.Popen(["/usr/bin/python3", os.path.abspath(__file__), "--gst-worker", folder])
    peers = {"aiortc": AiortcPeer(folder), "chromium": ChromiumPeer(folder)}
    try:
        for peer in peers.values():
            peer.offer()
        wait_for(os.path.join(folder, "gstreamer-offer.sdp"))
        first = tincan(folder)
        for peer in peers.values():
            peer.finish()
        try:
            gst.wait(timeout=60)
        except subprocess.TimeoutExpired:
            gst.kill()
        second = tincan(folder)
    finally:
        peers["chromium"].close()
        if gst.poll() is None:
            gst.kill()
    results = {name: peer.result for name, peer in peers.items()}
    gst_result = os.path.join(folder, "gstreamer-result.json")
    results["gstreamer"] = json.load(open(gst_result)) if os.path.exists(gst_result) else {"worker": "died"}
    results["tincan answers the peers' offers"] = first
    results["tincan applies the peers' answers"] = second
    print(json.dumps(results, indent=2))
    print(f"SDP exchanged in {folder}")
    refused = [v for r in results.values() for v in (r.values() if isinstance(r, dict) else [r])
               if v.startswith(("NO", "FAILED"))]
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
