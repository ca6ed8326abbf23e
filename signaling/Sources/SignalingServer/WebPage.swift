/// The page served at `/`: a browser joins the room named in its URL (`/?room=R`, optional
/// `&token=T` and `&role=offerer|answerer|any`) with its camera and microphone and calls
/// the other peer of the room over the `/ws` protocol (signaling/PROTOCOL.md). Plain
/// JavaScript, no libraries; offers and answers are sent complete (ICE gathering finished),
/// which is what Tincan and WHIP peers expect, and trickled candidates from others are
/// accepted. Once the call is up either side may offer again (a track added or stopped, an
/// ICE restart): the page follows "perfect negotiation" (WebRTC 1.0 §10.7), polite when it
/// answered the first offer, as `tincan call` does; each further remote video gets a
/// `<video id="remote-MID">` of its own, removed when its track ends. Kept in the binary so
/// `tincan-signal` is one file to copy.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tincan call</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 1rem; background: #f4f4f4; color: #222; }
  h1 { font-size: 1.2rem; margin: 0 0 .5rem; }
  #videos { display: flex; flex-wrap: wrap; gap: 1rem; }
  figure { margin: 0; }
  video { width: 480px; max-width: 95vw; aspect-ratio: 4 / 3; background: #111; border-radius: 6px; }
  figcaption { font-size: .85rem; color: #555; }
  #status { font-weight: bold; margin: .5rem 0; }
  #log { font: 12px monospace; white-space: pre-wrap; max-height: 12rem; overflow: auto; background: #fff; padding: .5rem; border: 1px solid #ccc; }
  .error { color: #b00020; }
</style>
</head>
<body>
<h1>Tincan call — room <code id="room"></code></h1>
<p>Share this page's address with the other side, or run a Linux host against room <code id="room2"></code>.
<button id="hangup" disabled>Hang up</button></p>
<div id="status">starting…</div>
<div id="videos">
  <figure><video id="local" autoplay playsinline muted></video><figcaption>this browser (muted)</figcaption></figure>
  <figure><video id="remote" autoplay playsinline></video><figcaption>the other peer</figcaption></figure>
</div>
<div id="log"></div>
<script>
"use strict";
const WS_PATH = "/ws";
const params = new URLSearchParams(location.search);
let room = params.get("room");
if (!room) {
  room = Math.random().toString(36).slice(2, 10);
  params.set("room", room);
  history.replaceState(null, "", "?" + params.toString());
}
const token = params.get("token");
const myRole = ["offerer", "answerer", "any"].includes(params.get("role")) ? params.get("role") : "any";
const iceServers = params.get("stun") ? [{ urls: params.get("stun") }] : [];
document.getElementById("room").textContent = room;
document.getElementById("room2").textContent = room;
const statusEl = document.getElementById("status");
const logEl = document.getElementById("log");
const hangupButton = document.getElementById("hangup");
let ws, pc, localStream, myId;
// Perfect negotiation: polite when this page answered the first offer; makingOffer while a
// renegotiation offer of ours is on its way; negotiated once the first exchange is done.
let polite = false, makingOffer = false, negotiated = false;

function log(text, isError) {
  const line = document.createElement("div");
  line.textContent = new Date().toISOString().slice(11, 23) + " " + text;
  if (isError) line.className = "error";
  logEl.appendChild(line);
  logEl.scrollTop = logEl.scrollHeight;
}
function status(text, isError) { statusEl.textContent = text; statusEl.className = isError ? "error" : ""; log(text, isError); }
function send(message) { if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message)); }

async function openMedia() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    log("no camera access here (the page needs https or localhost): receiving only", true);
    return null;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    document.getElementById("local").srcObject = stream;
    return stream;
  } catch (e) {
    log("getUserMedia failed (" + e.name + ": " + e.message + "): receiving only", true);
    return null;
  }
}

function newPeerConnection() {
  if (pc) pc.close();
  pc = new RTCPeerConnection({ iceServers });
  if (localStream) {
    for (const track of localStream.getTracks()) pc.addTrack(track, localStream);
  } else {
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
  }
  pc.ontrack = (event) => showTrack(event);
  pc.onnegotiationneeded = async () => {
    if (!negotiated) return;  // the first offer is makeOffer's
    const connection = pc;
    try {
      makingOffer = true;
      await connection.setLocalDescription();
      await gatheringComplete(connection);
      send({ type: "offer", sdp: connection.localDescription.sdp });
      log("sent a new offer");
    } catch (e) {
      log("renegotiation offer failed: " + e, true);
    } finally {
      makingOffer = false;
    }
  };
  pc.onconnectionstatechange = () => {
    log("connection " + pc.connectionState);
    if (pc.connectionState === "connected") status("in a call");
    if (pc.connectionState === "failed") status("the call failed (ICE/DTLS)", true);
  };
  hangupButton.disabled = false;
  return pc;
}

/// The first remote video plays in #remote with the audio; each further one in a
/// <video id="remote-MID"> of its own, until its track ends.
function showTrack(event) {
  const mid = event.transceiver ? event.transceiver.mid : null;
  const track = event.track;
  const remote = document.getElementById("remote");
  if (!remote.srcObject) remote.srcObject = new MediaStream();
  if (track.kind === "audio" || remote.srcObject.getVideoTracks().length === 0) {
    remote.srcObject.addTrack(track);
    return;
  }
  const figure = document.createElement("figure");
  figure.id = "remote-" + mid;
  const video = document.createElement("video");
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true;
  video.srcObject = new MediaStream([track]);
  const caption = document.createElement("figcaption");
  caption.textContent = "the other peer's video (mid " + mid + ")";
  figure.append(video, caption);
  document.getElementById("videos").appendChild(figure);
  log("the other peer added a video track (mid " + mid + ")");
  track.addEventListener("ended", () => removeTrackView(mid));
}

function removeTrackView(mid) {
  const figure = document.getElementById("remote-" + mid);
  if (!figure) return;
  figure.remove();
  log("the other peer's video track (mid " + mid + ") ended");
}

/// After each exchange: a view whose transceiver no longer receives goes.
function reviewTracks() {
  if (!pc) return;
  for (const t of pc.getTransceivers()) {
    const direction = t.currentDirection;
    if (t.mid !== null && (direction === "stopped" || direction === "inactive" || direction === "sendonly")) removeTrackView(t.mid);
  }
}

function iceUfrag(sdp) {
  const m = /a=ice-ufrag:(\S+)/.exec(sdp || "");
  return m ? m[1] : null;
}

/// Non-trickle: the description is sent once ICE gathering is complete (at most 5 s). After
/// an ICE restart the state may still read "complete" from the old gathering: wait for the
/// new one then.
function gatheringComplete(connection, restarting) {
  if (connection.iceGatheringState === "complete" && !restarting) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5000);
    connection.addEventListener("icegatheringstatechange", () => {
      if (connection.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
    });
  });
}

async function makeOffer() {
  const connection = newPeerConnection();
  polite = false;
  negotiated = false;
  await connection.setLocalDescription(await connection.createOffer());
  await gatheringComplete(connection);
  send({ type: "offer", sdp: connection.localDescription.sdp });
  status("offer sent, waiting for the answer");
}

async function onOffer(sdp) {
  if (negotiated || (pc && pc.signalingState === "have-local-offer" && pc.remoteDescription)) return onLaterOffer(sdp);
  const connection = newPeerConnection();
  polite = true;
  await connection.setRemoteDescription({ type: "offer", sdp });
  await connection.setLocalDescription(await connection.createAnswer());
  await gatheringComplete(connection);
  send({ type: "answer", sdp: connection.localDescription.sdp });
  negotiated = true;
  status("answer sent, connecting");
}

/// An offer during the call (perfect negotiation): on glare the impolite side ignores it,
/// the polite side takes it (its own offer rolled back by setRemoteDescription).
async function onLaterOffer(sdp) {
  const connection = pc;
  const collision = makingOffer || connection.signalingState !== "stable";
  if (collision && !polite) { log("ignored a colliding offer (this page is the impolite side)"); return; }
  const restarting = iceUfrag(sdp) !== iceUfrag(connection.remoteDescription && connection.remoteDescription.sdp);
  await connection.setRemoteDescription({ type: "offer", sdp });
  await connection.setLocalDescription();
  await gatheringComplete(connection, restarting);
  send({ type: "answer", sdp: connection.localDescription.sdp });
  log("answered a new offer" + (restarting ? " (ICE restart)" : ""));
  reviewTracks();
}

async function onAnswer(sdp) {
  await pc.setRemoteDescription({ type: "answer", sdp });
  if (!negotiated) status("answer received, connecting");
  else log("the other peer answered our new offer");
  negotiated = true;
  reviewTracks();
}

function hangUp(reason) {
  if (pc) { pc.close(); pc = null; }
  negotiated = false;
  for (const figure of document.querySelectorAll("figure[id^='remote-']")) figure.remove();
  document.getElementById("remote").srcObject = null;
  hangupButton.disabled = true;
  status(reason);
}

/// Who offers: never an answerer, never to an offerer; an offerer always does, anyone
/// offers to an answerer, and between two "any" peers the one that joined second offers.
function maybeOffer(other, joinedSecond) {
  if (myRole === "answerer" || other.role === "offerer") { status("waiting for an offer from " + other.id); return; }
  if (myRole === "offerer" || other.role === "answerer" || joinedSecond) {
    makeOffer().catch((e) => status("could not make an offer: " + e, true));
  } else {
    status("waiting for an offer from " + other.id);
  }
}

async function onMessage(message) {
  switch (message.type) {
    case "joined":
      myId = message.id;
      if (message.peers.length === 0) status("in room " + room + ", waiting for the other peer");
      else maybeOffer(message.peers[0], true);
      break;
    case "peer-joined": log("peer " + message.id + " (" + message.role + ") joined"); maybeOffer(message, false); break;
    case "peer-left": log("peer " + message.id + " left the room"); break;
    case "offer": await onOffer(message.sdp); break;
    case "answer": await onAnswer(message.sdp); break;
    case "candidate":
      if (pc) await pc.addIceCandidate({ candidate: message.candidate, sdpMid: message.sdpMid, sdpMLineIndex: message.sdpMLineIndex });
      break;
    case "end-of-candidates": if (pc) await pc.addIceCandidate(null); break;
    case "bye": hangUp("the other peer hung up" + (message.reason ? " (" + message.reason + ")" : "")); break;
    case "error": status("server: " + message.code + ": " + message.message, true); break;
    default: log("unexpected message " + message.type, true);
  }
}

hangupButton.onclick = () => { send({ type: "bye", reason: "hung up" }); hangUp("you hung up"); };

(async () => {
  localStream = await openMedia();
  ws = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + WS_PATH);
  ws.onopen = () => {
    const join = { type: "join", room, role: myRole };
    if (token) join.token = token;
    send(join);
  };
  ws.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { log("bad message from the server", true); return; }
    onMessage(message).catch((e) => status(message.type + " failed: " + e, true));
  };
  ws.onclose = (event) => log("signaling closed (" + event.code + (event.reason ? " " + event.reason : "") + ")", event.code !== 1000);
})();
</script>
</body>
</html>
"""#
}
