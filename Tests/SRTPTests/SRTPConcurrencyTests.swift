import Foundation
import SRTP
import Testing

@Suite struct SRTPConcurrencyTests {
    /// One session shared by several tasks (the documented contract: calls serialize on the
    /// session's lock). Every packet protected concurrently must unprotect intact.
    @Test func sessionIsUsableFromManyTasks() async throws {
        let (sender, receiver) = try SRTPSessionTests.pair(.aeadAES128GCM)
        let protected = try await withThrowingTaskGroup(of: [(UInt16, [UInt8])].self) { group in
            for lane in 0..<4 {
                group.addTask {
                    try (0..<250).map { i in
                        let seq = UInt16(lane * 250 + i)
                        return (seq, try sender.protectRTP(SRTPSessionTests.rtp(seq: seq, ssrc: UInt32(lane + 1))))
                    }
                }
            }
            var all: [(UInt16, [UInt8])] = []
            for try await part in group { all += part }
            return all
        }
        #expect(protected.count == 1000)
        for (seq, packet) in protected {
            let ssrc = UInt32(packet[8]) << 24 | UInt32(packet[9]) << 16 | UInt32(packet[10]) << 8 | UInt32(packet[11])
            #expect(try receiver.unprotectRTP(packet) == SRTPSessionTests.rtp(seq: seq, ssrc: ssrc))
        }
    }

    /// The in-place path on 1200-byte packets; prints a rate (debug build, a rough figure).
    @Test(.serialized, arguments: SRTPProtectionProfile.allCases)
    func inPlaceRate(_ profile: SRTPProtectionProfile) throws {
        let (sender, receiver) = try SRTPSessionTests.pair(profile)
        let template = SRTPSessionTests.rtp(seq: 0, payload: 1188)
        var buffer = [UInt8](repeating: 0, count: 1500 + SRTPSession.trailerCapacity)
        let count = 5000
        let clock = ContinuousClock()
        var ok = 0
        let elapsed = try buffer.withUnsafeMutableBytes { raw in
            try template.withUnsafeBytes { packet in
                try clock.measure {
                    for i in 0..<count {
                        raw.copyMemory(from: packet)
                        raw[2] = UInt8(i >> 8); raw[3] = UInt8(i & 0xff)
                        let sealed = try sender.protectRTP(raw, length: packet.count)
                        let opened = try receiver.unprotectRTP(raw, length: sealed)
                        if opened == packet.count && raw[opened - 1] == packet[opened - 1] && raw[12] == packet[12] { ok += 1 }
                    }
                }
            }
        }
        #expect(ok == count)
        print("SRTP \(profile): \(count) × (protect + unprotect) of 1200-byte packets in \(elapsed)")
    }
}
