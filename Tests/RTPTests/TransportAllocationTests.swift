#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import RTP

/// Steady-state allocations per packet through the transport pipeline: send (number,
/// history, enqueue), NACK routing (RTX into the queue), pacing, egress stamping, padding.
/// The count comes from the malloc counter preloaded by scripts/measure-rtp-allocations.
@Suite struct TransportAllocationTests {
    @Test func pipelinePacketPathAllocatesNothing() throws {
        let counter = AllocationTests.counter
        var config = RTPTransportConfiguration(rtcpSSRC: 9, receiveExtensions: TransportControllerTests.extensions)
        config.reports = nil  // SR/SDES building is per second, not per packet
        config.bandwidthEstimation = nil  // the fixed target below holds
        var c = RTPTransportController(configuration: config, at: .zero)
        c.setTargetTransferRate(TargetTransferRate(at: .zero, targetBitrate: 1_000_000, pacingRate: 2_500_000, paddingRate: 1_500_000))
        let video = c.addStream(TransportControllerTests.videoSender(), kind: .video)
        let audio = c.addStream(TransportControllerTests.audioSender(), kind: .audio)
        let videoPayload = [UInt8](repeating: 7, count: 1000)
        let audioPayload = [UInt8](repeating: 8, count: 120)
        var emitted = 0
        // The NACKs (parsed RTCP is the caller's allocation), one per 4 frames for the packet
        // sent two packets before the frame's last (the video sender starts at 65000).
        let nacks: [[RTCPPacket]] = (0..<600).map { n in
            let seq = UInt16(truncatingIfNeeded: 65000 + 4 * (n + 1) - 6)
            return [.genericNACK(RTCPGenericNACK(senderSSRC: 5, mediaSSRC: TransportControllerTests.videoSSRC,
                                                 entries: [.init(packetID: seq, bitmaskOfLostPackets: 0)]))]
        }
        var now = Duration.zero

        func frame(_ n: Int) throws {
            let start = Duration.milliseconds(33 * n)
            for i in 0..<4 {
                try videoPayload.withUnsafeBytes {
                    try c.send(video, payload: $0, timestamp: UInt32(n * 3000), marker: i == 3, at: start)
                }
            }
            try audioPayload.withUnsafeBytes { try c.send(audio, payload: $0, timestamp: UInt32(n * 1584), marker: false, at: start) }
            if n % 4 == 0 { try c.handleRTCP(nacks[n], at: start) }
            now = start
            let end = start + .milliseconds(33)
            while now < end {
                try c.poll(at: now) { bytes, _ in emitted += bytes.count }
                guard let next = c.nextDeadline, next < end else { break }
                now = max(next, now + .microseconds(100))
            }
        }

        for n in 0..<300 { try frame(n) }
        let before = counter?()
        let packetsBefore = c.statistics.pacer.packetsSent
        for n in 300..<600 { try frame(n) }
        let after = counter?()
        let s = c.statistics
        let packets = s.pacer.packetsSent - packetsBefore
        print("pipeline: \(s.pacer.retransmissionPacketsSent) RTX, \(s.pacer.paddingPacketsSent) padding packets")
        #expect(s.pacer.retransmissionPacketsSent == 149 && s.pacer.paddingPacketsSent > 1000)  // the first NACK names a packet never sent
        #expect(emitted + 10 * s.pacer.packetsSent == s.pacer.bytesSent)  // the pacer counts the SRTP tag
        #expect(packets > 1500)
        if let before, let after {
            print("allocations: \(after - before) in the transport pipeline over \(packets) packets (send, NACK routing, pacing, egress stamping, padding)")
            #expect(after - before == 0)
        } else {
            print("allocations: transport pipeline not measured (run scripts/measure-rtp-allocations)")
            #expect(!AllocationTests.counterRequired, "TINCAN_ALLOCATION_COUNTER=required but the malloc counter is not loaded")
        }
    }
}
