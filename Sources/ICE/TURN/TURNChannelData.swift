/// A ChannelData message (RFC 8656 §12.4): a channel number in 0x4000-0x4FFF, the length of
/// the application data, then the data; over TCP padded to a multiple of four bytes.
public struct TURNChannelData: Equatable, Sendable {
    /// RFC 8656 §12: the channel numbers a client may bind.
    public static let channelNumbers: ClosedRange<UInt16> = 0x4000...0x4FFF
    static let headerLength = 4

    public var channelNumber: UInt16
    public var data: [UInt8]

    public init(channelNumber: UInt16, data: [UInt8]) {
        self.channelNumber = channelNumber
        self.data = data
    }

    /// Parses one ChannelData message. The datagram may be longer than the header says (the
    /// padding, RFC 8656 §12.5), never shorter; a number outside the range is refused.
    public init?(parsing bytes: [UInt8]) {
        guard bytes.count >= Self.headerLength else { return nil }
        let number = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard Self.channelNumbers.contains(number), Self.headerLength + length <= bytes.count else { return nil }
        channelNumber = number
        data = Array(bytes[Self.headerLength..<(Self.headerLength + length)])
    }

    /// The message; `padded` rounds it up to four bytes, as TCP and TLS require (RFC 8656 §12.5).
    public func encoded(padded: Bool) -> [UInt8] {
        var out = [UInt8]()
        let pad = padded ? (4 - data.count % 4) % 4 : 0
        out.reserveCapacity(Self.headerLength + data.count + pad)
        out += [UInt8(channelNumber >> 8), UInt8(truncatingIfNeeded: channelNumber),
                UInt8(truncatingIfNeeded: data.count >> 8), UInt8(truncatingIfNeeded: data.count)]
        out += data
        if pad > 0 { out += [UInt8](repeating: 0, count: pad) }
        return out
    }
}
