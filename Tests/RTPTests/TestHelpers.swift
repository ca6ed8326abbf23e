@testable import RTP

/// "90 e0 12" → [0x90, 0xe0, 0x12]
func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var pending: UInt8? = nil
    for c in text.unicodeScalars {
        guard let v = UInt8(String(c), radix: 16) else { continue }
        if let p = pending {
            out.append(p << 4 | v)
            pending = nil
        } else {
            pending = v
        }
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined(separator: " ")
}

/// A deterministic byte generator for the fuzz-style tests (SplitMix64).
struct TestRandom {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) } }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// Appends a payload's frame data (untyped closure: typed-throws closures passed to
/// withUnsafeBytes crash the Swift 6.3 compiler's IRGen).
func appendFrame<D: RTPDepacketizer>(_ format: D.Type, _ payload: [UInt8], to frame: inout [UInt8]) throws {
    try payload.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Void in
        let result: Result<Void, RTPError> = Result { () throws(RTPError) in try D.appendFrameData(raw, to: &frame) }
        try result.get()
    }
}
