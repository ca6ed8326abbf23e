import AllocationCounter
import Testing
@testable import RTP

/// Steady-state allocations per packet. The count comes from a malloc counter preloaded by
/// scripts/measure-rtp-allocations (run by scripts/test, which sets
/// TINCAN_ALLOCATION_COUNTER=required: a counter that did not load is then a failure); without
/// it the test only runs the path.
@Suite struct AllocationTests {
    static var counter: AllocationCounter.CountFunction? { AllocationCounter.counter }
    static var counterRequired: Bool { AllocationCounter.required }

    @Test func steadyStatePacketPathAllocatesNothing() throws {
        let counter = Self.counter  // resolved once: dlsym itself allocates
        var sender = RTPSendStream(configuration: StreamTests.senderConfig)
        var receiver = RTPReceiveStream<VP8Depacketizer>(configuration: StreamTests.receiverConfig)
        var packetizer = VP8Packetizer()
        let frame = [0x51] + [UInt8](repeating: 3, count: 3999)
        // Packets travel through a preallocated buffer, as a socket would hand them over.
        var wire = [UInt8](repeating: 0, count: 1500)
        var wireCount = 0
        var framesOut = 0
        var packetsSent = 0
        let onFrame: (RTPAssembledFrame, UnsafeRawBufferPointer) -> Void = { _, _ in framesOut += 1 }
        var nack: [UInt8] = []
        RTCPGenericNACK.write(senderSSRC: 3, mediaSSRC: StreamTests.senderConfig.ssrc, lostSequenceNumbers: [0] as [UInt16], into: &nack)

        var pollAllocations = 0
        func step(_ n: Int) throws {
            let now = Duration.milliseconds(33 * n)
            try frame.withUnsafeBytes { raw in
                try packetizer.packetize(raw) { payload, last in
                    try sender.send(payload: payload, timestamp: UInt32(n * 3000), marker: last, at: now) { packet in
                        wire.withUnsafeMutableBytes { $0.copyMemory(from: packet) }
                        wireCount = packet.count
                    }
                    packetsSent += 1
                    try wire.withUnsafeBytes { w in
                        try receiver.receive(UnsafeRawBufferPointer(rebasing: w[0..<wireCount]), at: now, onFrame: onFrame)
                    }
                }
            }
            let a = counter?() ?? 0
            receiver.poll(at: now, onFrame: onFrame, sendRTCP: { _ in })
            pollAllocations += (counter?() ?? 0) - a
        }

        // Warm-up: 300 frames of 4 packets go once round the 1024-slot reorder ring (its
        // payload buffers are lent from a pool) and the 512-slot history, so every buffer
        // has reached its size.
        for n in 0..<300 { try step(n) }
        let before = counter?()
        let packetsBefore = packetsSent
        pollAllocations = 0
        for n in 300..<600 { try step(n) }
        let after = counter?()
        let packets = packetsSent - packetsBefore
        #expect(framesOut == 600)
        if let before, let after {
            let packetPath = after - before - pollAllocations
            print("allocations: \(packetPath) on the packet path over \(packets) packets (packetize, send, history, receive, reassembly); \(pollAllocations) in poll (RR + SDES + XR, 10 reports)")
            #expect(packetPath == 0)
            #expect(pollAllocations <= 10 * 8)
        } else {
            print("allocations: not measured (run scripts/measure-rtp-allocations)")
            #expect(!Self.counterRequired, "TINCAN_ALLOCATION_COUNTER=required but the malloc counter is not loaded")
        }
    }
}
