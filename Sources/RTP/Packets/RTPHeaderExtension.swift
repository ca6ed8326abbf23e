/// The two header extension layouts of RFC 8285 (§4.2 one-byte, §4.3 two-byte).
public enum RTPHeaderExtensionForm: Sendable, Equatable {
    case oneByte
    case twoByte

    public var profile: UInt16 { self == .oneByte ? 0xBEDE : 0x1000 }
}

/// One element of an RFC 8285 header extension block: its local ID and where its data lies.
public struct RTPHeaderExtensionElement: Sendable, Equatable {
    public var id: UInt8
    public var range: Range<Int>

    /// Reads the element at `cursor` and advances past it; nil at the end of the block.
    /// Padding bytes (ID 0) are skipped; a one-byte ID of 15 ends processing (RFC 8285 §4.2).
    static func next(
        in buffer: UnsafeRawBufferPointer, range: Range<Int>, form: RTPHeaderExtensionForm,
        cursor: inout Int
    ) throws(RTPError) -> RTPHeaderExtensionElement? {
        guard range.upperBound <= buffer.count else { throw .invalidHeaderExtension }
        while cursor < range.upperBound {
            let b = buffer[cursor]
            switch form {
            case .oneByte:
                if b == 0 { cursor += 1; continue }
                let id = b >> 4
                if id == 15 { cursor = range.upperBound; return nil }
                let length = Int(b & 0x0F) + 1
                let start = cursor + 1
                guard start + length <= range.upperBound else { throw .invalidHeaderExtension }
                cursor = start + length
                return RTPHeaderExtensionElement(id: id, range: start..<(start + length))
            case .twoByte:
                if b == 0 { cursor += 1; continue }
                guard cursor + 1 < range.upperBound else { throw .invalidHeaderExtension }
                let length = Int(buffer[cursor + 1])
                let start = cursor + 2
                guard start + length <= range.upperBound else { throw .invalidHeaderExtension }
                cursor = start + length
                return RTPHeaderExtensionElement(id: b, range: start..<(start + length))
            }
        }
        return nil
    }
}

/// Iterates the elements of a validated header's extension block without allocating.
public struct RTPHeaderExtensionIterator: IteratorProtocol {
    let buffer: UnsafeRawBufferPointer
    let range: Range<Int>
    let form: RTPHeaderExtensionForm?
    var cursor: Int

    public init(buffer: UnsafeRawBufferPointer, header: RTPHeader) {
        self.buffer = buffer
        self.range = header.extensionRange
        self.form = header.extensionForm
        self.cursor = header.extensionRange.lowerBound
    }

    public mutating func next() -> RTPHeaderExtensionElement? {
        guard let form else { return nil }
        // The header was validated by `RTPHeader.parse`; a malformed block just ends here.
        return (try? RTPHeaderExtensionElement.next(in: buffer, range: range, form: form, cursor: &cursor)) ?? nil
    }
}

/// Header extension URIs this stack understands (as written in SDP `a=extmap`).
public enum RTPHeaderExtensionURI {
    /// RFC 8843 §15: the media identification (BUNDLE).
    public static let mid = "urn:ietf:params:rtp-hdrext:sdes:mid"
    /// 24-bit 6.18 fixed-point seconds; aiortc sends REMB only when this is present.
    public static let absSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
    /// draft-holmer-rmcat-transport-wide-cc-extensions-01 §2: a 16-bit transport sequence number.
    public static let transportSequenceNumber =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
}

/// The negotiated local IDs of the known extensions (from `a=extmap`).
public struct RTPHeaderExtensionMap: Sendable, Equatable {
    public var mid: UInt8?
    public var absSendTime: UInt8?
    public var transportSequenceNumber: UInt8?

    public init(mid: UInt8? = nil, absSendTime: UInt8? = nil, transportSequenceNumber: UInt8? = nil) {
        self.mid = mid
        self.absSendTime = absSendTime
        self.transportSequenceNumber = transportSequenceNumber
    }

    /// Builds the map from (id, uri) pairs; unknown URIs are ignored.
    public init(extmap: [(id: UInt8, uri: String)]) {
        self.init()
        for (id, uri) in extmap {
            switch uri {
            case RTPHeaderExtensionURI.mid: mid = id
            case RTPHeaderExtensionURI.absSendTime: absSendTime = id
            case RTPHeaderExtensionURI.transportSequenceNumber: transportSequenceNumber = id
            default: break
            }
        }
    }

    /// Decodes the known extensions of a parsed packet. Elements of the wrong size are
    /// ignored (RFC 8285 §4.1: a receiver ignores what it cannot use).
    public func decode(_ buffer: UnsafeRawBufferPointer, header: RTPHeader) -> RTPHeaderExtensionValues {
        var values = RTPHeaderExtensionValues()
        var it = RTPHeaderExtensionIterator(buffer: buffer, header: header)
        while let e = it.next() {
            if e.id == mid, !e.range.isEmpty {
                values.mid = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[e.range]), as: UTF8.self)
            } else if e.id == absSendTime, e.range.count == 3 {
                let s = e.range.lowerBound
                values.absSendTime = UInt32(buffer[s]) << 16 | UInt32(buffer[s + 1]) << 8 | UInt32(buffer[s + 2])
            } else if e.id == transportSequenceNumber, e.range.count == 2 {
                values.transportSequenceNumber = readUInt16(buffer, e.range.lowerBound)
            }
        }
        return values
    }

    public func decode(_ bytes: [UInt8], header: RTPHeader) -> RTPHeaderExtensionValues {
        bytes.withUnsafeBytes { decode($0, header: header) }
    }
}

/// The values of the known extensions carried by one packet.
public struct RTPHeaderExtensionValues: Sendable, Equatable {
    public var mid: String?
    /// 6.18 fixed-point seconds, 24 bits.
    public var absSendTime: UInt32?
    public var transportSequenceNumber: UInt16?

    public init(mid: String? = nil, absSendTime: UInt32? = nil, transportSequenceNumber: UInt16? = nil) {
        self.mid = mid
        self.absSendTime = absSendTime
        self.transportSequenceNumber = transportSequenceNumber
    }
}

/// abs-send-time: the send time in seconds as 6.18 fixed point, wrapping every 64 s.
public enum AbsSendTime {
    /// From a 64-bit NTP timestamp: its middle 24 bits (6 integer bits, 18 fraction bits).
    public static func from(ntp: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: ntp >> 14) & 0x00FF_FFFF
    }

    /// From a time since any origin.
    public static func from(_ time: Duration) -> UInt32 {
        let (seconds, attoseconds) = time.components
        let whole = UInt64(truncatingIfNeeded: seconds) & 0x3F
        let fraction = min(UInt64(Double(attoseconds) / 1e18 * 262_144), 0x3_FFFF)
        return UInt32(truncatingIfNeeded: whole << 18 | fraction) & 0x00FF_FFFF
    }

    /// Seconds (in [0, 64)) of a 6.18 value.
    public static func seconds(_ value: UInt32) -> Double {
        Double(value & 0x00FF_FFFF) / Double(1 << 18)
    }
}
