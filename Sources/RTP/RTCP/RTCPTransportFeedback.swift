/// Transport-wide congestion control feedback
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1): PT 205, FMT 15.
///
/// One status per transport sequence number from `baseSequenceNumber`; a received packet
/// carries its arrival delta from the previous received one (the first from
/// `referenceTime`) in 250 µs ticks. Statuses are coded in run-length chunks (§3.1.3) and
/// 1- or 2-bit status vector chunks (§3.1.4).
public struct RTCPTransportFeedback: Sendable, Equatable {
    public static let formatType: UInt8 = 15

    public enum PacketStatus: Sendable, Equatable {
        case notReceived
        /// Received; delta in 250 µs ticks. 0...255 is sent as a 1-byte "small delta",
        /// anything else as a 2-byte signed "large or negative delta".
        case received(delta: Int16)
    }

    /// The 2-bit packet status symbols (§3.1.1).
    enum Symbol: UInt8 {
        case notReceived = 0
        case smallDelta = 1
        case largeOrNegativeDelta = 2
    }

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var baseSequenceNumber: UInt16
    /// Signed 24-bit, in multiples of 64 ms.
    public var referenceTime: Int32
    public var feedbackPacketCount: UInt8
    public var packetStatuses: [PacketStatus]

    public init(
        senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16, referenceTime: Int32,
        feedbackPacketCount: UInt8, packetStatuses: [PacketStatus]
    ) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.packetStatuses = packetStatuses
    }

    static func symbol(_ status: PacketStatus) -> Symbol {
        switch status {
        case .notReceived: return .notReceived
        case .received(let delta): return (0...255).contains(delta) ? .smallDelta : .largeOrNegativeDelta
        }
    }

    static func parse(_ r: inout ByteReader, end: Int) throws(RTPError) -> RTCPTransportFeedback {
        let sender = try r.u32()
        let media = try r.u32()
        let base = try r.u16()
        let count = Int(try r.u16())
        let reference = Int32(bitPattern: try r.u24() << 8) >> 8
        let fbCount = try r.u8()
        var symbols: [Symbol] = []
        symbols.reserveCapacity(count)
        func add(_ raw: UInt16) throws(RTPError) {
            guard let s = Symbol(rawValue: UInt8(raw)) else { throw .invalidField("transport-cc status symbol") }
            symbols.append(s)
        }
        while symbols.count < count {
            guard r.offset + 2 <= end else { throw .truncated }
            let chunk = try r.u16()
            if chunk & 0x8000 == 0 {
                let run = min(Int(chunk & 0x1FFF), count - symbols.count)
                for _ in 0..<run { try add(chunk >> 13 & 0x3) }
            } else if chunk & 0x4000 == 0 {
                for i in 0..<14 where symbols.count < count { try add(chunk >> (13 - i) & 0x1) }
            } else {
                for i in 0..<7 where symbols.count < count { try add(chunk >> (12 - 2 * i) & 0x3) }
            }
        }
        var statuses: [PacketStatus] = []
        statuses.reserveCapacity(count)
        for s in symbols {
            switch s {
            case .notReceived: statuses.append(.notReceived)
            case .smallDelta:
                guard r.offset + 1 <= end else { throw .truncated }
                statuses.append(.received(delta: Int16(try r.u8())))
            case .largeOrNegativeDelta:
                guard r.offset + 2 <= end else { throw .truncated }
                statuses.append(.received(delta: Int16(bitPattern: try r.u16())))
            }
        }
        return RTCPTransportFeedback(
            senderSSRC: sender, mediaSSRC: media, baseSequenceNumber: base, referenceTime: reference,
            feedbackPacketCount: fbCount, packetStatuses: statuses)
    }

    /// The status chunks for the statuses: run-length chunks for runs of 14 or more (or a
    /// run reaching the end), otherwise a 1-bit vector of 14 when no large delta is among
    /// them, else a 2-bit vector of 7.
    func chunks() -> [UInt16] {
        let symbols = packetStatuses.map(Self.symbol)
        var out: [UInt16] = []
        var i = 0
        let n = symbols.count
        while i < n {
            var run = 1
            while i + run < n && symbols[i + run] == symbols[i] && run < 0x1FFF { run += 1 }
            if run >= 14 || i + run == n {
                out.append(UInt16(symbols[i].rawValue) << 13 | UInt16(run))
                i += run
                continue
            }
            let window = symbols[i..<min(i + 14, n)]
            if !window.contains(.largeOrNegativeDelta) {
                var chunk: UInt16 = 0x8000
                for (k, s) in window.enumerated() { chunk |= UInt16(s.rawValue) << (13 - k) }
                out.append(chunk)
                i += window.count
            } else {
                var chunk: UInt16 = 0xC000
                let count = min(7, n - i)
                for k in 0..<count { chunk |= UInt16(symbols[i + k].rawValue) << (12 - 2 * k) }
                out.append(chunk)
                i += count
            }
        }
        return out
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        guard packetStatuses.count <= 0xFFFF else { throw .valueTooLarge("packet status count") }
        guard (-0x80_0000...0x7F_FFFF).contains(referenceTime) else { throw .valueTooLarge("referenceTime") }
        let start = RTCPWriter.begin(&bytes, count: Self.formatType, packetType: RTCPPacketType.transportFeedback)
        bytes.appendBigEndian(senderSSRC)
        bytes.appendBigEndian(mediaSSRC)
        bytes.appendBigEndian(baseSequenceNumber)
        bytes.appendBigEndian(UInt16(packetStatuses.count))
        bytes.appendBigEndian24(UInt32(bitPattern: referenceTime) & 0x00FF_FFFF)
        bytes.append(feedbackPacketCount)
        for chunk in chunks() { bytes.appendBigEndian(chunk) }
        for status in packetStatuses {
            guard case .received(let delta) = status else { continue }
            if (0...255).contains(delta) {
                bytes.append(UInt8(delta))
            } else {
                bytes.appendBigEndian(UInt16(bitPattern: delta))
            }
        }
        // libwebrtc pads feedback with RTCP padding (P bit, count in the last byte).
        RTCPWriter.finish(&bytes, start: start, usePaddingBit: true)
    }
}
