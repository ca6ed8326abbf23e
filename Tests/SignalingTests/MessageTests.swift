import Foundation
import Signaling
import Testing

/// The JSON messages of signaling/PROTOCOL.md.
@Suite struct MessageTests {
    @Test("every message type survives JSON and back", arguments: [
        SignalMessage.join(room: "r", token: "t", role: .answerer),
        .joined(room: "r", id: "p1", peers: [PeerInfo(id: "p0", role: .any)]),
        .peerJoined(PeerInfo(id: "p2", role: .offerer)),
        .peerLeft(id: "p2"),
        .offer(sdp: "v=0\r\na=x:\"/\\\r\n", from: "p1"),
        .answer(sdp: "v=0\r\n", from: nil),
        .candidate(IceCandidateInit(candidate: "candidate:1 1 udp 1 192.0.2.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0), from: "p1"),
        .endOfCandidates(from: nil),
        .bye(reason: "done", from: "p1"),
        .error(code: "room-full", message: "room r is full"),
    ])
    func roundTrip(message: SignalMessage) throws {
        #expect(try SignalMessage(jsonText: message.jsonText()) == message)
    }

    @Test("the wire form is what PROTOCOL.md shows")
    func wireForm() throws {
        #expect(SignalMessage.join(room: "kitchen", token: nil, role: .any).jsonText() == #"{"role":"any","room":"kitchen","type":"join"}"#)
        #expect(SignalMessage.offer(sdp: "v=0\r\n", from: nil).jsonText() == #"{"sdp":"v=0\r\n","type":"offer"}"#)
        // A browser's RTCIceCandidate.toJSON() parses as it is.
        let browser = #"{"type":"candidate","candidate":"candidate:1 1 udp 1 192.0.2.1 9 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abc"}"#
        #expect(try SignalMessage(jsonText: browser) == .candidate(IceCandidateInit(candidate: "candidate:1 1 udp 1 192.0.2.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0), from: nil))
        // join without a role means any.
        #expect(try SignalMessage(jsonText: #"{"type":"join","room":"r"}"#) == .join(room: "r", token: nil, role: .any))
    }

    @Test("bad input throws the error that names it", arguments: [
        ("not json", SignalingError.badJSON("the message is not valid JSON text")),
        ("[1,2]", .badJSON("the message must be a JSON object with a \"type\"")),
        (#"{"room":"r"}"#, .missingField(type: "(any)", field: "type")),
        (#"{"type":"hello"}"#, .unknownMessageType("hello")),
        (#"{"type":"offer","sdp":5}"#, .missingField(type: "offer", field: "sdp")),
        (#"{"type":"candidate","candidate":"c","sdpMLineIndex":-1}"#, .missingField(type: "candidate", field: "sdpMLineIndex")),
        (#"{"type":"join","room":"r","role":"boss"}"#, .badJSON("\"role\" must be one of offerer, answerer, any")),
    ])
    func badInput(text: String, expected: SignalingError) {
        #expect(throws: expected) { try SignalMessage(jsonText: text) }
    }

    @Test("listen addresses parse; bad ones say why")
    func hostPort() throws {
        #expect(try HostPort(parsing: "127.0.0.1:8080") == HostPort(host: "127.0.0.1", port: 8080))
        #expect(try HostPort(parsing: ":0") == HostPort(host: "0.0.0.0", port: 0))
        #expect(try HostPort(parsing: "[::1]:9") == HostPort(host: "::1", port: 9))
        #expect(throws: SignalingError.self) { try HostPort(parsing: "localhost") }
        #expect(throws: SignalingError.self) { try HostPort(parsing: "a:70000") }
        #expect(throws: SignalingError.self) { try HostPort(parsing: "[::1:80") }
    }
}
