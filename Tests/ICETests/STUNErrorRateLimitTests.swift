@testable import ICE
import NetworkPrimitives
import Testing

/// Unauthenticated 400/401 responses go to any claimed source: they are rate-limited so
/// that forged requests cannot turn the agent into a reflector (RFC 8445 §19.5).
@Suite struct STUNErrorRateLimitTests {
    let base = TransportAddress("192.0.2.1", port: 5000)!

    func agent() -> ICEAgentCore {
        var core = ICEAgentCore(role: .controlled, configuration: .fastForTesting)
        core.addHostCandidate(base: base, now: .zero)
        while core.pollTransmit() != nil {}
        return core
    }

    /// A Binding request from `source` without credentials (400) or with wrong ones (401).
    func forged(_ i: Int, signed: Bool) -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        let message = STUNMessage(type: .bindingRequest, transactionID: .random(using: &random),
                                  attributes: signed ? [.username("nobody:\(i)")] : [])
        return message.encoded(integrityKey: signed ? Array("wrong password".utf8) : nil, fingerprint: true)
    }

    func transmitted(_ core: inout ICEAgentCore) -> [ICETransmit] {
        var out: [ICETransmit] = []
        while let t = core.pollTransmit() { out.append(t) }
        return out
    }

    @Test("1000 forged requests at once from 1000 sources: 10 error responses go out, 990 are counted as suppressed; 1 s later 10 more may go")
    func burstThenRate() {
        var core = agent()
        for i in 0..<1000 {
            let source = TransportAddress("198.51.100.\(i % 250 + 1)", port: UInt16(10_000 + i))!
            core.handleDatagram(forged(i, signed: i % 2 == 1), from: source, to: base, now: .seconds(1))
        }
        let first = transmitted(&core)
        #expect(first.count == 10, "error responses sent in the burst: \(first.count)")
        #expect(core.suppressedErrorResponses == 990)
        #expect(first.allSatisfy { (try? STUNMessage(parsing: $0.payload))?.type == .bindingError })

        // Half a second later: 5 tokens; one second later the bucket is full again (10).
        for i in 0..<20 {
            core.handleDatagram(forged(i, signed: false), from: TransportAddress("203.0.113.9", port: UInt16(20_000 + i))!, to: base,
                                now: .milliseconds(1500))
        }
        #expect(transmitted(&core).count == 5)
        for i in 0..<20 {
            core.handleDatagram(forged(i, signed: true), from: TransportAddress("203.0.113.9", port: UInt16(30_000 + i))!, to: base,
                                now: .seconds(10))
        }
        #expect(transmitted(&core).count == 10)
        #expect(core.suppressedErrorResponses == 990 + 15 + 10)
    }
}
