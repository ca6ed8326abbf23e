import NetworkPrimitives
import Testing
@testable import ICE

@Suite struct STUNMessageTests {
    let key = STUNCredentials.shortTermKey(password: RFC5769.password)
    let vectorID = STUNTransactionID(0xb7e7_a701, 0xbc34_d686, 0xfa87_dfae)

    @Test func rfc5769SampleRequest() throws {
        let m = try STUNMessage(parsing: RFC5769.request)
        #expect(m.type == .bindingRequest)
        #expect(m.transactionID == vectorID)
        #expect(m.username == "evtj:h6vY")
        #expect(m.priority == 0x6e00_01ff)
        #expect(m.iceControlled == 0x932f_f9b1_5126_3b36)
        #expect(m.attributes.contains(.software("STUN test client")))
        #expect(m.hasFingerprint)
        #expect(m.verifyMessageIntegrity(key: key))
        #expect(!m.verifyMessageIntegrity(key: Array("wrong password".utf8)))

        // Rebuilt from its attributes with the vector's space padding: byte for byte equal.
        let rebuilt = STUNMessage(type: .bindingRequest, transactionID: vectorID, attributes: [
            .software("STUN test client"), .priority(0x6e00_01ff), .iceControlled(0x932f_f9b1_5126_3b36),
            .username("evtj:h6vY"),
        ]).encoded(integrityKey: key, fingerprint: true, padding: 0x20)
        #expect(rebuilt == RFC5769.request)
    }

    @Test func rfc5769SampleIPv4Response() throws {
        let m = try STUNMessage(parsing: RFC5769.ipv4Response)
        #expect(m.type == .bindingSuccess)
        #expect(m.xorMappedAddress == TransportAddress("192.0.2.1", port: 32853))
        #expect(m.verifyMessageIntegrity(key: key))
        let rebuilt = STUNMessage(type: .bindingSuccess, transactionID: vectorID, attributes: [
            .software("test vector"), .xorMappedAddress(TransportAddress("192.0.2.1", port: 32853)!),
        ]).encoded(integrityKey: key, fingerprint: true, padding: 0x20)
        #expect(rebuilt == RFC5769.ipv4Response)
    }

    @Test func rfc5769SampleIPv6Response() throws {
        let m = try STUNMessage(parsing: RFC5769.ipv6Response)
        #expect(m.xorMappedAddress == TransportAddress("2001:db8:1234:5678:11:2233:4455:6677", port: 32853))
        #expect(m.verifyMessageIntegrity(key: key))
        let rebuilt = STUNMessage(type: .bindingSuccess, transactionID: vectorID, attributes: [
            .software("test vector"),
            .xorMappedAddress(TransportAddress("2001:db8:1234:5678:11:2233:4455:6677", port: 32853)!),
        ]).encoded(integrityKey: key, fingerprint: true, padding: 0x20)
        #expect(rebuilt == RFC5769.ipv6Response)
    }

    @Test func rfc5769LongTermRequest() throws {
        let m = try STUNMessage(parsing: RFC5769.longTermRequest)
        #expect(m.username == "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}")
        #expect(m.attributes.contains(.realm("example.org")))
        #expect(m.attributes.contains(.nonce("f//499k954d6OL34oL9FSTvy64sA")))
        let longTermKey = try #require(STUNCredentials.longTermKey(
            username: "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}", realm: "example.org", password: "TheMatrIX"))
        #expect(m.verifyMessageIntegrity(key: longTermKey))
    }

    @Test func messageTypeEncoding() {
        #expect(STUNMessageType.bindingRequest.rawValue == 0x0001)
        #expect(STUNMessageType.bindingSuccess.rawValue == 0x0101)
        #expect(STUNMessageType.bindingError.rawValue == 0x0111)
        #expect(STUNMessageType.bindingIndication.rawValue == 0x0011)
        for raw: UInt16 in [0x0001, 0x0101, 0x0111, 0x0011, 0x0003, 0x0113, 0x3EEF] {
            #expect(STUNMessageType(rawValue: raw).rawValue == raw)
        }
    }

    @Test func roundTripOfEveryAttribute() throws {
        let id = STUNTransactionID.random()
        let attributes: [STUNAttribute] = [
            .username("abcd:efgh"), .priority(1_845_501_695), .useCandidate, .iceControlling(0x0123_4567_89AB_CDEF),
            .xorMappedAddress(TransportAddress("::1", port: 9)!), .mappedAddress(TransportAddress("10.1.2.3", port: 65535)!),
            .errorCode(code: 487, reason: "Role Conflict"), .software("tincan"), .unknown(type: 0xC001, value: [1, 2, 3]),
        ]
        let bytes = STUNMessage(type: .bindingError, transactionID: id, attributes: attributes)
            .encoded(integrityKey: Array("pass".utf8), fingerprint: true)
        #expect(bytes.count % 4 == 0)
        let parsed = try STUNMessage(parsing: bytes)
        #expect(parsed.type == .bindingError)
        #expect(parsed.transactionID == id)
        #expect(parsed.attributes == attributes)
        #expect(parsed.errorCode?.code == 487)
        #expect(parsed.useCandidate)
        #expect(parsed.iceControlling == 0x0123_4567_89AB_CDEF)
        #expect(parsed.verifyMessageIntegrity(key: Array("pass".utf8)))
        #expect(!parsed.verifyMessageIntegrity(key: Array("Pass".utf8)))
        #expect(parsed.unknownComprehensionRequired.isEmpty)
    }

    @Test func error401RoundTrip() throws {
        let bytes = STUNMessage(type: .bindingError, transactionID: .random(),
                                attributes: [.errorCode(code: 401, reason: "Unauthorized")]).encoded(fingerprint: true)
        let m = try STUNMessage(parsing: bytes)
        #expect(m.errorCode?.code == 401)
        #expect(m.errorCode?.reason == "Unauthorized")
        #expect(!m.hasMessageIntegrity)
        #expect(!m.verifyMessageIntegrity(key: []))
    }

    @Test func badInputIsRejectedWithErrors() {
        #expect(throws: STUNError.truncated) { try STUNMessage(parsing: []) }
        #expect(throws: STUNError.truncated) { try STUNMessage(parsing: Array(RFC5769.request.prefix(19))) }
        #expect(throws: STUNError.truncated) { try STUNMessage(parsing: Array(RFC5769.request.dropLast(4))) }
        var notSTUN = RFC5769.request
        notSTUN[4] = 0
        #expect(throws: STUNError.notSTUN) { try STUNMessage(parsing: notSTUN) }
        var rtpLike = RFC5769.request
        rtpLike[0] = 0x80
        #expect(throws: STUNError.notSTUN) { try STUNMessage(parsing: rtpLike) }
        var flipped = RFC5769.request
        flipped[30] ^= 1  // inside SOFTWARE: FINGERPRINT no longer matches
        #expect(throws: STUNError.fingerprintMismatch) { try STUNMessage(parsing: flipped) }
        var misaligned = RFC5769.request
        misaligned[3] = 0x57
        #expect(throws: STUNError.misalignedLength) { try STUNMessage(parsing: misaligned) }
        // An attribute whose length runs past the end.
        var overflow = STUNMessage(type: .bindingRequest, transactionID: .random(), attributes: [.priority(1)]).encoded()
        overflow[22] = 0x01
        #expect(throws: STUNError.attributeOverflow(type: STUNAttributeType.priority)) { try STUNMessage(parsing: overflow) }
        // PRIORITY of the wrong size.
        let badPriority = STUNMessage(type: .bindingRequest, transactionID: .random(),
                                      attributes: [.unknown(type: STUNAttributeType.priority, value: [1, 2])]).encoded()
        #expect(throws: STUNError.malformedAttribute(type: STUNAttributeType.priority)) { try STUNMessage(parsing: badPriority) }
        // An address family that does not exist.
        let badFamily = STUNMessage(type: .bindingSuccess, transactionID: .random(),
                                    attributes: [.unknown(type: STUNAttributeType.xorMappedAddress, value: [0, 3, 0, 0, 1, 2, 3, 4])]).encoded()
        #expect(throws: STUNError.malformedAttribute(type: STUNAttributeType.xorMappedAddress)) { try STUNMessage(parsing: badFamily) }
        // Invalid UTF-8 in USERNAME.
        let badUsername = STUNMessage(type: .bindingRequest, transactionID: .random(),
                                      attributes: [.unknown(type: STUNAttributeType.username, value: [0xFF, 0xFE, 0x41, 0x42])]).encoded()
        #expect(throws: STUNError.malformedAttribute(type: STUNAttributeType.username)) { try STUNMessage(parsing: badUsername) }
        // Anything after FINGERPRINT.
        var afterFingerprint = RFC5769.request + [0x80, 0x22, 0x00, 0x00]
        afterFingerprint[3] += 4
        #expect(throws: STUNError.self) { try STUNMessage(parsing: afterFingerprint) }
    }

    @Test func unknownComprehensionRequiredAttributesAreReported() throws {
        let bytes = STUNMessage(type: .bindingRequest, transactionID: .random(),
                                attributes: [.unknown(type: 0x7F01, value: [])]).encoded()
        #expect(try STUNMessage(parsing: bytes).unknownComprehensionRequired == [0x7F01])
    }

    /// Fuzz-style: every truncation and many random corruptions of valid messages, and pure
    /// garbage, must throw or parse, never trap.
    @Test func truncatedAndGarbageInputNeverTraps() {
        var generator = SplitMix64(seed: 5769)
        let seeds = [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response, RFC5769.longTermRequest]
        var parsed = 0, rejected = 0
        func attempt(_ bytes: [UInt8]) {
            if let m = try? STUNMessage(parsing: bytes) {
                parsed += 1
                _ = m.verifyMessageIntegrity(key: key)
                _ = m.xorMappedAddress
            } else {
                rejected += 1
            }
        }
        for seed in seeds {
            for n in 0..<seed.count { attempt(Array(seed.prefix(n))) }
            for _ in 0..<2000 {
                var m = seed
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let i = Int.random(in: 0..<m.count, using: &generator)
                    m[i] = UInt8.random(in: 0...255, using: &generator)
                }
                attempt(m)
            }
        }
        for _ in 0..<5000 {
            let n = Int.random(in: 0...120, using: &generator)
            var m = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if m.count >= 20 && Bool.random(using: &generator) {
                // Make it pass the header checks so that attribute parsing is exercised.
                m[0] &= 0x3F
                m[2] = UInt8((m.count - 20) >> 8); m[3] = UInt8((m.count - 20) & 0xFF)
                m[4] = 0x21; m[5] = 0x12; m[6] = 0xA4; m[7] = 0x42
            }
            attempt(m)
        }
        #expect(rejected > 10_000)
        #expect(parsed > 0)  // corruptions of padding bytes or of IDs (before FINGERPRINT is hit) can parse
    }

    @Test func datagramDemultiplexing() {
        #expect(DatagramKind(RFC5769.request) == .stun)
        #expect(DatagramKind([22, 0xFE, 0xFD]) == .dtls)      // DTLS handshake record
        #expect(DatagramKind([0x80, 0x60]) == .rtp)           // RTP v2
        #expect(DatagramKind([0x81, 0xC8]) == .rtp)           // RTCP SR
        #expect(DatagramKind(firstByte: 63) == .dtls)
        #expect(DatagramKind(firstByte: 64) == .turnChannel)
        #expect(DatagramKind(firstByte: 4) == .unknown)
        #expect(DatagramKind(firstByte: 192) == .unknown)
        #expect(DatagramKind([UInt8]()) == .unknown)
        #expect(STUNMessage.looksLikeSTUN(RFC5769.request))
        #expect(!STUNMessage.looksLikeSTUN([0x80] + RFC5769.request.dropFirst()))
    }
}

/// A small seeded generator so that "random" tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
