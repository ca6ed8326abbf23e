#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into OUT/<target>/ (scripts/fuzz calls it).

From the repository's own fixtures where there are some (the captured SDP, RFC 5769 vectors
from Tests/ICETests), a ClientHello from `openssl s_client -dtls1_2`, and small hand-built
packets and files in each format otherwise. Deterministic, and cheap enough to run every time.
"""
from __future__ import annotations

import base64
import glob
import io
import json
import os
import re
import socket
import struct
import subprocess
import sys
import wave
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def framed(*datagrams: bytes) -> bytes:
    """FuzzInput.datagrams' framing: a 2-byte big-endian length before each datagram."""
    return b"".join(struct.pack(">H", len(d)) + d for d in datagrams)


def rtp(seq: int, ts: int, ssrc: int, pt: int = 96, marker: bool = False, payload: bytes = b"",
        extensions: bytes = b"", padding: int = 0) -> bytes:
    b0 = 0x80 | (0x20 if padding else 0) | (0x10 if extensions else 0)
    out = struct.pack(">BBHII", b0, (0x80 if marker else 0) | pt, seq, ts, ssrc)
    if extensions:
        ext = extensions + b"\0" * (-len(extensions) % 4)
        out += struct.pack(">HH", 0xBEDE, len(ext) // 4) + ext
    out += payload
    if padding:
        out += b"\0" * (padding - 1) + bytes([padding])
    return out


def rtcp(pt: int, count: int, body: bytes) -> bytes:
    return struct.pack(">BBH", 0x80 | count, pt, (len(body) + 4) // 4 - 1) + body


def stun_seeds() -> dict[str, bytes]:
    """The RFC 5769 §2 vectors, read from Tests/ICETests/RFC5769Vectors.swift."""
    text = open(os.path.join(ROOT, "Tests/ICETests/RFC5769Vectors.swift"), encoding="utf-8").read()
    out = {}
    for name, body in re.findall(r'static let (\w+) = hex\("""(.*?)"""\)', text, re.S):
        out[name] = bytes.fromhex("".join(re.findall(r"[0-9a-fA-F]", body)))
    return out


def turn_seeds() -> dict[str, bytes]:
    """A ChannelData message and a Data indication, framed as datagrams (2-byte lengths)."""
    channel = struct.pack(">HH", 0x4000, 5) + b"hello" + b"\0\0\0"
    peer = struct.pack(">BBH", 0, 1, 5000 ^ 0x2112) + bytes(a ^ b for a, b in zip([198, 51, 100, 7], [0x21, 0x12, 0xA4, 0x42]))
    attrs = struct.pack(">HH", 0x0012, len(peer)) + peer + struct.pack(">HH", 0x0013, 4) + b"data"
    indication = struct.pack(">HHI", 0x0017, len(attrs), 0x2112A442) + bytes(12) + attrs
    return {"channel-data": framed(channel, indication), "indication": framed(indication)}


def rtp_seeds() -> dict[str, bytes]:
    vp8_key = bytes([0x90, 0x80, 0x00, 0x01]) + bytes([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]) + bytes(20)
    vp8_more = bytes([0x80, 0x80, 0x00, 0x01]) + bytes(40)
    ext = bytes([0x22, 0x01, 0x02, 0x03, 0x31, 0x00, 0x07, 0x90, ord("0")])  # abs-send-time, twcc, mid
    return {
        "vp8-frame": framed(rtp(1, 3000, 0x1111, payload=vp8_key, extensions=ext),
                            rtp(2, 3000, 0x1111, marker=True, payload=vp8_more, extensions=ext),
                            rtp(4, 6000, 0x1111, marker=True, payload=vp8_key),
                            rtp(1, 6000, 0x1112, pt=97, payload=b"\x00\x03" + vp8_more)),  # RTX of seq 3
        "opus": framed(rtp(7, 960, 0x2222, pt=111, marker=True, payload=b"\xfc\xff\xfe"),
                       rtp(8, 1920, 0x2222, pt=111, payload=b"\xfc\xff\xfe", padding=4)),
        "csrc": framed(struct.pack(">BBHIIII", 0x82, 96, 5, 0, 0x3333, 1, 2) + vp8_key),
    }


def rtcp_seeds() -> dict[str, bytes]:
    block = struct.pack(">IIIIII", 0x1234_5678, 0x0100_0010, 1000, 5, 0xAABB_CCDD, 0x10)
    sr = rtcp(200, 1, struct.pack(">IIIIII", 0x9999, 0xE000_0000, 0x8000_0000, 90000, 10, 1200) + block)
    rr = rtcp(201, 1, struct.pack(">I", 1) + block)
    cname = b"tincan"
    sdes_chunk = struct.pack(">I", 1) + bytes([1, len(cname)]) + cname + b"\0"
    sdes = rtcp(202, 1, sdes_chunk + b"\0" * (-len(sdes_chunk) % 4))
    nack = rtcp(205, 1, struct.pack(">IIHH", 1, 0x1234_5678, 100, 0b101))
    pli = rtcp(206, 1, struct.pack(">II", 1, 0x1234_5678))
    fir = rtcp(206, 4, struct.pack(">IIIB3x", 1, 0, 0x1234_5678, 7))
    remb = rtcp(206, 15, struct.pack(">II", 1, 0) + b"REMB" + bytes([1, 0x0A, 0x12, 0x34]) + struct.pack(">I", 0x1234_5678))
    twcc = rtcp(205, 15, struct.pack(">IIHHIBBxx", 1, 0x1234_5678, 10, 3, 0x000100 << 8 | 1, 0, 0)
                + struct.pack(">H", 0x2003) + bytes([4, 8, 12, 0]))
    bye = rtcp(203, 1, struct.pack(">I", 0x9999) + bytes([3]) + b"bye")
    rrtr = struct.pack(">BBHII", 4, 0, 2, 0xE000_0000, 0x8000_0000)
    dlrr = struct.pack(">BBHIII", 5, 0, 3, 1, 0x0001_0000, 0x100)
    xr = rtcp(207, 0, struct.pack(">I", 0x9999) + rrtr + dlrr)
    return {"sr-sdes": sr + sdes, "rr-sdes-nack": rr + sdes + nack, "pli": pli, "fir": rr + fir,
            "remb": rr + remb, "twcc": twcc, "bye": sr + bye, "xr": sr + xr}


def sdp_seeds() -> dict[str, bytes]:
    return {os.path.basename(p): open(p, "rb").read()
            for p in sorted(glob.glob(os.path.join(ROOT, "Tests/SDPTests/Fixtures/*.sdp")))}


def client_hello() -> bytes | None:
    """The first flight of `openssl s_client -dtls1_2 -use_srtp`: a real ClientHello."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    try:
        proc = subprocess.Popen(["openssl", "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{sock.getsockname()[1]}",
                                 "-use_srtp", "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    try:
        data, _ = sock.recvfrom(4096)
        return data
    except OSError:
        return None
    finally:
        proc.kill()
        proc.wait()
        sock.close()


def dtls_seeds() -> dict[str, bytes]:
    out = {"alert": framed(bytes([21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 40]))}
    hello = client_hello()
    if hello:
        out["client-hello"] = framed(hello)
        out["client-hello-twice"] = framed(hello, hello[:40], hello)
        out["client-hello-unframed"] = hello
    out["stun-then-rtp"] = framed(stun_seeds().get("request", b""), rtp(1, 0, 1))
    return out


def signal_seeds() -> dict[str, bytes]:
    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    messages = [
        {"type": "join", "room": "kitchen", "role": "answerer"},
        {"type": "join", "room": "kitchen", "role": "any", "token": "secret"},
        {"type": "joined", "room": "kitchen", "id": "p9a2e", "peers": [{"id": "p1f0c", "role": "answerer"}]},
        {"type": "peer-joined", "id": "p9a2e", "role": "any"},
        {"type": "offer", "sdp": sdp}, {"type": "offer", "from": "p9a2e", "sdp": sdp},
        {"type": "answer", "sdp": sdp},
        {"type": "candidate", "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
         "sdpMid": "0", "sdpMLineIndex": 0},
        {"type": "bye", "reason": "hung up"}, {"type": "peer-left", "id": "p9a2e"},
        {"type": "error", "code": "room-full", "message": "room kitchen is full"},
    ]
    return {f"{i:02d}-{m['type']}": json.dumps(m).encode() for i, m in enumerate(messages)}


def copy_paste_seeds() -> dict[str, bytes]:
    """CopyPasteBlob.encode's lines: TINCAN1 kind i/n bytes crc32(all) crc32(chunk) chunk."""
    def blob(sdp: str, kind: str, chunk_length: int) -> str:
        data = sdp.encode()
        payload = base64.urlsafe_b64encode(data).rstrip(b"=")
        count = max(1, -(-len(payload) // chunk_length))
        length = max(1, -(-len(payload) // count))
        whole = f"{zlib.crc32(data):08x}"
        lines = []
        for i in range(count):
            chunk = payload[i * length:(i + 1) * length]
            lines.append(f"TINCAN1 {kind} {i + 1}/{count} {len(data)} {whole} {zlib.crc32(chunk):08x} {chunk.decode()}")
        return "\n".join(lines)
    offer = open(os.path.join(ROOT, "Tests/SDPTests/Fixtures/tincan-offer.sdp"), encoding="utf-8").read()
    return {"offer-one-line": blob(offer, "offer", 100_000).encode(),
            "offer-chunks": ("paste here:\n" + blob(offer, "offer", 300) + "\n").encode(),
            "answer-small": blob("v=0\r\n", "answer", 4).encode()}


def y4m_seeds() -> dict[str, bytes]:
    frame = b"FRAME\n" + bytes(range(16)) + bytes([128] * 8)
    return {"420": b"YUV4MPEG2 W4 H4 F30:1 Ip A1:1 C420jpeg\n" + frame * 2,
            "plain": b"YUV4MPEG2 W4 H4 F10:1\n" + frame,
            "params": b"YUV4MPEG2 W2 H2 F25:1 It A0:0 C420mpeg2 XYSCSS=420MPEG2\nFRAME Ixyz\n" + bytes(6)}


def wav_seeds() -> dict[str, bytes]:
    out = {}
    for channels, rate in ((1, 48000), (2, 44100)):
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(struct.pack("<8h", 0, 1000, -1000, 32767, -32768, 5, 6, 7))
        out[f"pcm{channels}"] = buf.getvalue()
    return out


def ivf_seeds() -> dict[str, bytes]:
    header = b"DKIF" + struct.pack("<HH4sHHIIII", 0, 32, b"VP80", 64, 48, 30, 1, 2, 0)
    frame = bytes([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 64, 0, 48, 0]) + bytes(10)
    return {"two-frames": header + struct.pack("<IQ", len(frame), 0) + frame + struct.pack("<IQ", 3, 1) + b"\x01\x02\x03"}


def ogg_page(serial: int, sequence: int, granule: int, packets: list[bytes], flags: int) -> bytes:
    lacing = b""
    for p in packets:
        lacing += b"\xff" * (len(p) // 255) + bytes([len(p) % 255])
    header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, granule, serial, sequence, 0, len(lacing)) + lacing
    page = bytearray(header + b"".join(packets))
    crc = 0
    for byte in page:  # Ogg's CRC-32: polynomial 0x04C11DB7, not reflected, initial 0
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x8000_0000 else crc << 1) & 0xFFFF_FFFF
    page[22:26] = struct.pack("<I", crc)
    return bytes(page)


def ogg_seeds() -> dict[str, bytes]:
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 6) + b"tincan" + struct.pack("<I", 1) + struct.pack("<I", 5) + b"A=b c"
    audio = [b"\xfc\xff\xfe", b"\xfc" + bytes(40)]
    return {"opus": ogg_page(7, 0, 0, [head], 2) + ogg_page(7, 1, 0, [tags], 0) + ogg_page(7, 2, 1272, audio, 4),
            "head-only": ogg_page(9, 0, 0, [head], 2)}


def devices_seeds() -> dict[str, bytes]:
    full = {"devices": [
        {"deviceId": "cam0", "kind": "videoinput", "label": "Front", "groupId": "g0", "facingMode": "user",
         "modes": [{"width": 1280, "height": 720, "frameRate": 30, "pixelFormat": "NV12"}],
         "resizeModes": ["none", "crop-and-scale"]},
        {"deviceId": "mic0", "kind": "audioinput", "label": "Mic", "groupId": "g0", "sampleRate": [48000],
         "sampleSize": [16], "channelCount": [1, 2], "echoCancellation": [True, False],
         "autoGainControl": [True, False], "noiseSuppression": [True, False], "latency": [0.01],
         "defaults": {"channelCount": 1}}]}
    bare = [{"kind": "videoinput", "modes": [{"width": 320, "height": 240, "frameRate": 15}]}]
    return {"full": json.dumps(full).encode(), "bare": json.dumps(bare).encode()}


def constraints_seeds() -> dict[str, bytes]:
    seeds = [
        {"video": True, "audio": True},
        {"video": {"width": 640, "height": 480, "frameRate": {"ideal": 10, "max": 15}}, "audio": True},
        {"video": {"width": {"min": 320, "ideal": 1280, "max": 1920}, "aspectRatio": {"exact": 1.7777},
                   "facingMode": ["user", "environment"], "deviceId": {"exact": "cam0"}, "resizeMode": "none",
                   "advanced": [{"width": 1920}, {"frameRate": 60}]}},
        {"audio": {"sampleRate": 48000, "channelCount": {"ideal": 2}, "echoCancellation": False,
                   "autoGainControl": {"exact": True}, "latency": 0.01, "groupId": "g0"}},
        {"width": 320, "frameRate": {"min": 5}, "backgroundBlur": False},
    ]
    return {f"{i}": json.dumps(s).encode() for i, s in enumerate(seeds)}


SEEDS = {
    "stun": stun_seeds, "turn": turn_seeds, "rtp": rtp_seeds, "rtcp": rtcp_seeds, "sdp": sdp_seeds, "dtls": dtls_seeds,
    "signal-message": signal_seeds, "copy-paste": copy_paste_seeds, "y4m": y4m_seeds, "wav": wav_seeds,
    "ivf": ivf_seeds, "ogg": ogg_seeds, "devices": devices_seeds, "constraints": constraints_seeds,
}


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: seeds.py OUTDIR [TARGET...]", file=sys.stderr)
        return 2
    out, targets = sys.argv[1], sys.argv[2:] or list(SEEDS)
    for target in targets:
        directory = os.path.join(out, target)
        os.makedirs(directory, exist_ok=True)
        for name, data in SEEDS[target]().items():
            with open(os.path.join(directory, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
