#if canImport(Glibc)
import Glibc
#endif
import ICE
import MediaCapture
import NIOPosix
@testable import PeerConnection
import Testing

/// Nothing from the peer is dropped unseen (issue #12, "Logs and counters instead of
/// silence"): each way a packet or frame dies on the receive path is a getStats member.
@Suite(.serialized) struct ReceiveDropCountersTests {
    static func videoReceiver() -> RTCRtpReceiver {
        RTCRtpReceiver(parameters: RTPStreamParameters(kind: .video, mid: "0", ssrc: 0x1234_5678, payloadType: 96,
                                                       codecName: "VP8", clockRate: 90_000),
                       localSSRC: 1, trackId: nil,
                       clock: MediaClock(eventLoop: MultiThreadedEventLoopGroup.singleton.next(), simulated: false),
                       // Decoded on the caller, so the counters are read after the frame.
                       decodesInline: true)
    }

    /// RFC 3550 §5.1 fixed header, then the payload.
    static func rtp(sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32, payloadType: UInt8, marker: Bool,
                    payload: [UInt8]) -> [UInt8] {
        [0x80, (marker ? 0x80 : 0) | payloadType, UInt8(sequenceNumber >> 8), UInt8(sequenceNumber & 0xFF),
         UInt8(timestamp >> 24), UInt8(timestamp >> 16 & 0xFF), UInt8(timestamp >> 8 & 0xFF), UInt8(timestamp & 0xFF),
         UInt8(ssrc >> 24), UInt8(ssrc >> 16 & 0xFF), UInt8(ssrc >> 8 & 0xFF), UInt8(ssrc & 0xFF)] + payload
    }

    @Test("a packet that does not parse as RTP is packetsMalformed, not lost silently")
    func malformedPacket() {
        let r = Self.videoReceiver()
        r.receive([0x80, 0x60, 0x00])
        r.receive([0x40] + [UInt8](repeating: 0, count: 20))  // version 1
        let st = r.statistics
        #expect(st.packetsMalformed == 2)
        #expect(st.rtp.packetsReceived == 0)
    }

    @Test("a whole VP8 frame the decoder refuses is framesDecodeFailed; decoded frames stay 0")
    func undecodableFrame() {
        let r = Self.videoReceiver()
        // RFC 7741 §4.2: S=1, PID 0; then a "keyframe" (P bit 0) without the 9d 01 2a start code.
        let payload: [UInt8] = [0x10, 0x00] + [UInt8](repeating: 0xA5, count: 40)
        r.receive(Self.rtp(sequenceNumber: 100, timestamp: 3000, ssrc: 0x1234_5678, payloadType: 96, marker: true, payload: payload))
        let st = r.statistics
        #expect(st.rtp.packetsReceived == 1)
        #expect(st.rtp.framesReceived == 1)
        #expect(st.decodeErrors == 1)
        #expect(st.framesDecoded == 0)
    }

    @Test("an SRTP failure attributed to this SSRC is counted by the receiver")
    func unprotectFailure() {
        let r = Self.videoReceiver()
        r.unprotectFailed()
        r.unprotectFailed()
        #expect(r.statistics.srtpUnprotectFailures == 2)
    }

    /// One UDP datagram from a socket of its own (an address that is no candidate).
    static func sendDatagram(_ bytes: [UInt8], toPort port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { b in sendto(fd, b.baseAddress, b.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    static func number(_ e: RTCStatsReport.Entry?, _ key: String) -> Double? {
        if case .number(let v)? = e?[key] { return v }
        return nil
    }

    @Test("getStats shows the drops: malformed RTP in inbound-rtp, STUN garbage and strangers' datagrams in transport")
    func dropsInGetStats() async throws {
        let stream = try await LoopbackCallTests.fakeStream(#"{"video": {"width": 320, "height": 240}}"#)
        defer { for t in stream.getTracks() { t.stop() } }
        let sender = try RTCPeerConnection(configuration: LoopbackCallTests.configuration())
        let receiver = try RTCPeerConnection(configuration: LoopbackCallTests.configuration())
        defer { Task { await sender.close(); await receiver.close() } }
        for t in stream.getTracks() { try sender.addTrack(t) }
        let (_, answer) = try await LoopbackCallTests.offerAndAnswer(sender, receiver)
        try await sender.setRemoteDescription(answer)
        try await receiver.waitUntilConnected(timeout: .seconds(10))

        let before = receiver.getStats()
        #expect(Self.number(before.first(type: "inbound-rtp", kind: "video"), "packetsMalformed") == 0)
        #expect(Self.number(before.first(type: "transport"), "stunMessagesMalformed") == 0)
        #expect(Self.number(before.first(type: "transport"), "datagramsFromUnknownSources") == 0)
        #expect(Self.number(before.first(type: "transport"), "datagramSendFailures") == 0, "sends the socket refused (UDPAgentTests.refusedSendIsCounted)")

        // Into the receiver, as if the transport had unprotected it: not RTP.
        receiver.getReceivers().first { $0.kind == .video }?.receive([0x80, 0x60, 0x00])
        // At the receiver's socket from a stranger: STUN that does not parse (RFC 7983: first
        // byte 0-3), and an SRTP-looking packet (first byte 128-191).
        let port = try #require(answer.sdp.split(separator: "\r\n").first { $0.hasPrefix("a=candidate:") }
            .flatMap { UInt16($0.split(separator: " ")[5]) })
        Self.sendDatagram([0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xA4, 0x42] + [UInt8](repeating: 7, count: 12), toPort: port)
        Self.sendDatagram(Self.rtp(sequenceNumber: 1, timestamp: 1, ssrc: 42, payloadType: 96, marker: true, payload: [1, 2, 3]), toPort: port)

        var after = receiver.getStats()
        for _ in 0..<100 where Self.number(after.first(type: "transport"), "datagramsFromUnknownSources") == 0 {
            try await Task.sleep(for: .milliseconds(20))
            after = receiver.getStats()
        }
        let inbound = after.first(type: "inbound-rtp", kind: "video")
        let transport = after.first(type: "transport")
        #expect(Self.number(inbound, "packetsMalformed") == 1)
        #expect(Self.number(inbound, "framesDecodeFailed") == 0)
        #expect(Self.number(transport, "stunMessagesMalformed") == 1)
        #expect(Self.number(transport, "datagramsFromUnknownSources") == 1)
        #expect(Self.number(transport, "srtpUnprotectFailures") == 0)

        // A datagram the receiver's socket refuses (over UDP's size limit: EMSGSIZE) is
        // datagramSendFailures; counted on the agent's loop, so two hops there come after it.
        let agent = try #require(receiver.iceAgent)
        try await agent.send([0x80, 96] + [UInt8](repeating: 1, count: 70_000))
        try await agent.eventLoop.submit {}.get()
        try await agent.eventLoop.submit {}.get()
        #expect(Self.number(receiver.getStats().first(type: "transport"), "datagramSendFailures") == 1)
    }
}
