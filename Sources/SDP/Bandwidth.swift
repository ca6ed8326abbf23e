/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8): `AS` in kbit/s, `TIAS` in bit/s (RFC 3890).
public struct Bandwidth: Sendable, Equatable, Hashable {
    public var type: String
    public var value: UInt64

    /// `AS`: application-specific maximum in kbit/s (RFC 8866 §5.8), IP/UDP/RTP headers and
    /// RTCP included (RFC 3550 §6.2, RFC 3556 §2).
    public static let applicationSpecific = "AS"
    /// `TIAS`: transport-independent application-specific maximum in bit/s, the RTP payload
    /// only, no headers and no RTCP (RFC 3890 §6.2).
    public static let transportIndependent = "TIAS"

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init(parsing text: Substring) throws(SDPError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, let value = UInt64(parts[1]) else {
            throw SDPError("b= needs '<type>:<number>', got '\(text.prefix(40))'")
        }
        self.init(type: String(parts[0]), value: value)
    }

    var sdpValue: String { "\(type):\(value)" }

    /// The most RTP payload a section's sender may send, bit/s, from the section's `b=`
    /// lines (RFC 8829 §5.10): `TIAS` when there is one, else `AS` converted the way JSEP
    /// gives (RFC 3890 §6.2.2's conversion with 5 % for RTCP and 50 packets/s of 40 bytes of
    /// IP/UDP/RTP headers): `TIAS = AS * 1000 * 0.95 - 50 * 40 * 8`. `CT`, `RR`, `RS` and
    /// unknown types say nothing about one sender. Nil: no limit.
    public static func maximumPayloadBitrate(_ bandwidths: [Bandwidth]) -> Int? {
        if let tias = bandwidths.first(where: { $0.type.uppercased() == transportIndependent }) {
            return Int(clamping: tias.value)
        }
        if let kbps = bandwidths.first(where: { $0.type.uppercased() == applicationSpecific }) {
            let bits = Double(min(kbps.value, UInt64(Int32.max))) * 1000 * 0.95 - Double(50 * 40 * 8)
            return max(0, Int(bits))
        }
        return nil
    }

    /// What a section says to a sender that it may send at most `payloadBitrate` (bit/s of
    /// RTP payload): `TIAS` for those that read it (Chromium and Firefox prefer it), and
    /// `AS` for those that only know RFC 8866, as RFC 3890 §6.4 asks: the inverse of the
    /// JSEP conversion, rounded down so that converting it back never gives more.
    public static func limit(payloadBitrate: Int) -> [Bandwidth] {
        let bits = max(0, payloadBitrate)
        let kbps = (UInt64(bits) + 50 * 40 * 8) / 950
        return [Bandwidth(type: applicationSpecific, value: kbps), Bandwidth(type: transportIndependent, value: UInt64(bits))]
    }
}
