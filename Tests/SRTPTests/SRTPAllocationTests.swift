import AllocationCounter
import Testing
import SRTP

/// Steady-state allocations per packet of `SRTPSession`'s in-place path (OpenSSL included:
/// the counter sees every malloc of the thread). The count comes from the malloc counter
/// scripts/measure-rtp-allocations preloads; without it the test only runs the path.
@Suite struct SRTPAllocationTests {
    @Test(arguments: SRTPProtectionProfile.allCases)
    func inPlacePathAllocatesNothing(_ profile: SRTPProtectionProfile) throws {
        let counter = AllocationCounter.counter  // resolved once: dlsym itself allocates
        let (sender, receiver) = try SRTPSessionTests.pair(profile)
        let rtp = SRTPSessionTests.rtp(seq: 0, payload: 1000)
        let rtcp = SRTPSessionTests.rtcpReceiverReport
        var buffer = [UInt8](repeating: 0, count: 1500 + SRTPSession.trailerCapacity)
        func step(_ i: Int) throws {
            try buffer.withUnsafeMutableBytes { raw in
                raw.copyBytes(from: rtp)
                raw[2] = UInt8(truncatingIfNeeded: i >> 8); raw[3] = UInt8(truncatingIfNeeded: i)
                let sealed = try sender.protectRTP(raw, length: rtp.count)
                #expect(try receiver.unprotectRTP(raw, length: sealed) == rtp.count)
                if i % 10 == 0 {
                    raw.copyBytes(from: rtcp)
                    let sealedRTCP = try sender.protectRTCP(raw, length: rtcp.count)
                    #expect(try receiver.unprotectRTCP(raw, length: sealedRTCP) == rtcp.count)
                }
            }
        }
        for i in 0..<100 { try step(i) }  // warm-up: the streams exist
        let before = counter?()
        for i in 100..<1100 { try step(i) }
        let after = counter?()
        if let before, let after {
            print("allocations: \(after - before) on the SRTP path (\(profile)) over 1000 RTP + 100 RTCP packets, protect + unprotect")
            #expect(after - before == 0)
        } else {
            #expect(!AllocationCounter.required, "the malloc counter was required but did not load")
        }
    }
}
