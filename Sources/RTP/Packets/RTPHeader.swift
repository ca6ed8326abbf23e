/// The fixed RTP header (RFC 3550 §5.1) plus where the CSRCs, header extension, payload and
/// padding lie in the packet. Parsing records offsets instead of copying, so a parsed header
/// is a view over the caller's buffer.
public struct RTPHeader: Sendable, Equatable {
    public var padding: Bool
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcCount: Int
    /// The 16-bit "defined by profile" field of the header extension, nil when X = 0
    /// (0xBEDE: RFC 8285 one-byte form; 0x100X: two-byte form).
    public var extensionProfile: UInt16?
    /// Offsets of the extension data (after its 4-byte header); empty when absent.
    public var extensionRange: Range<Int>
    /// Offsets of the payload (padding excluded).
    public var payloadRange: Range<Int>
    /// Number of padding bytes at the end, including the count byte itself.
    public var paddingLength: Int

    /// Offset of the first payload byte: 12 + 4·CC + extension.
    public var headerLength: Int { payloadRange.lowerBound }

    /// The RFC 8285 form of the extension block, nil when absent or another profile.
    public var extensionForm: RTPHeaderExtensionForm? {
        guard let p = extensionProfile else { return nil }
        if p == 0xBEDE { return .oneByte }
        if p & 0xFFF0 == 0x1000 { return .twoByte }
        return nil
    }

    /// Offset of the i-th CSRC (0-based) in the packet.
    public func csrcOffset(_ index: Int) -> Int { 12 + 4 * index }

    /// Parses and validates the header: fields, CSRC list, extension block (every RFC 8285
    /// element must fit) and padding. Throws on anything malformed.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws(RTPError) -> RTPHeader {
        try parse(buffer, paddingInTheClear: true)
    }

    /// Parses the header of an SRTP packet before it is unprotected. RFC 3711 §3.1: the header
    /// (fields, CSRCs, extension) is in the clear, but the padding is encrypted with the
    /// payload and the authentication tag follows it, so the padding is not read and
    /// `payloadRange` runs to the end of the packet.
    public static func parse(protected bytes: [UInt8]) throws(RTPError) -> RTPHeader {
        try withBytes(bytes) { raw throws(RTPError) in try parse(raw, paddingInTheClear: false) }
    }

    private static func parse(_ buffer: UnsafeRawBufferPointer, paddingInTheClear: Bool) throws(RTPError) -> RTPHeader {
        var r = ByteReader(buffer)
        let b0 = try r.u8()
        let version = b0 >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        let b1 = try r.u8()
        let sequenceNumber = try r.u16()
        let timestamp = try r.u32()
        let ssrc = try r.u32()
        let csrcCount = Int(b0 & 0x0F)
        try r.skip(4 * csrcCount)
        var profile: UInt16? = nil
        var extensionRange = r.offset..<r.offset
        if b0 & 0x10 != 0 {
            let p = try r.u16()
            let words = Int(try r.u16())
            extensionRange = try r.range(4 * words)
            profile = p
        }
        var end = buffer.count
        var paddingLength = 0
        let hasPadding = b0 & 0x20 != 0
        if hasPadding && paddingInTheClear {
            guard end > r.offset else { throw .invalidPadding }
            paddingLength = Int(buffer[end - 1])
            guard paddingLength > 0, paddingLength <= end - r.offset else { throw .invalidPadding }
            end -= paddingLength
        }
        let header = RTPHeader(
            padding: hasPadding, marker: b1 & 0x80 != 0, payloadType: b1 & 0x7F,
            sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc,
            csrcCount: csrcCount, extensionProfile: profile, extensionRange: extensionRange,
            payloadRange: r.offset..<end, paddingLength: paddingLength)
        if let form = header.extensionForm {
            var cursor = extensionRange.lowerBound
            while try RTPHeaderExtensionElement.next(in: buffer, range: extensionRange, form: form, cursor: &cursor) != nil {}
        }
        return header
    }

    /// Parses a header from an array without copying it.
    public static func parse(_ bytes: [UInt8]) throws(RTPError) -> RTPHeader {
        try withBytes(bytes) { raw throws(RTPError) in try parse(raw) }
    }
}
