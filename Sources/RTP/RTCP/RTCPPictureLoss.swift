/// PLI: picture loss indication (RFC 4585 §6.3.1), PT 206, FMT 1, no FCI.
public struct RTCPPictureLossIndication: Sendable, Equatable {
    public static let formatType: UInt8 = 1

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32

    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    public func write(into bytes: inout [UInt8]) {
        let start = RTCPWriter.begin(&bytes, count: Self.formatType, packetType: RTCPPacketType.payloadSpecificFeedback)
        bytes.appendBigEndian(senderSSRC)
        bytes.appendBigEndian(mediaSSRC)
        RTCPWriter.finish(&bytes, start: start)
    }
}

/// FIR: full intra request (RFC 5104 §4.3.1), PT 206, FMT 4. The media SSRC field is unused
/// (0); each FCI entry names the SSRC asked for a keyframe and a command sequence number.
public struct RTCPFullIntraRequest: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var ssrc: UInt32
        public var sequenceNumber: UInt8

        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    public static let formatType: UInt8 = 4

    public var senderSSRC: UInt32
    public var mediaSSRC: UInt32
    public var entries: [Entry]

    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    static func parse(_ r: inout ByteReader, end: Int) throws(RTPError) -> RTCPFullIntraRequest {
        var fir = RTCPFullIntraRequest(senderSSRC: try r.u32(), mediaSSRC: try r.u32(), entries: [])
        while end - r.offset >= 8 {
            let ssrc = try r.u32()
            let seq = try r.u8()
            try r.skip(3)
            fir.entries.append(Entry(ssrc: ssrc, sequenceNumber: seq))
        }
        return fir
    }

    public func write(into bytes: inout [UInt8]) {
        let start = RTCPWriter.begin(&bytes, count: Self.formatType, packetType: RTCPPacketType.payloadSpecificFeedback)
        bytes.appendBigEndian(senderSSRC)
        bytes.appendBigEndian(mediaSSRC)
        for e in entries {
            bytes.appendBigEndian(e.ssrc)
            bytes.append(e.sequenceNumber)
            bytes.append(contentsOf: [0, 0, 0] as [UInt8])
        }
        RTCPWriter.finish(&bytes, start: start)
    }
}

/// REMB: receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2), PT 206,
/// FMT 15, "REMB", then the bitrate as an 18-bit mantissa and 6-bit exponent and the SSRCs
/// it applies to.
public struct RTCPReceiverEstimatedMaximumBitrate: Sendable, Equatable {
    public static let formatType: UInt8 = 15
    static let identifier: UInt32 = 0x5245_4D42  // "REMB"

    public var senderSSRC: UInt32
    /// Bits per second (mantissa << exponent; rounding down to what 18 bits can carry).
    public var bitrate: UInt64
    public var ssrcs: [UInt32]

    public init(senderSSRC: UInt32, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.bitrate = bitrate
        self.ssrcs = ssrcs
    }

    /// True when the payload-specific FMT 15 body starts with "REMB".
    static func matches(_ buffer: UnsafeRawBufferPointer, bodyOffset: Int) -> Bool {
        var r = ByteReader(buffer, offset: bodyOffset + 8)
        return (try? r.u32()) == identifier  // too short for "REMB": some other FMT 15 feedback
    }

    static func parse(_ r: inout ByteReader) throws(RTPError) -> RTCPReceiverEstimatedMaximumBitrate {
        let sender = try r.u32()
        _ = try r.u32()  // media source: unused, 0
        guard try r.u32() == identifier else { throw .invalidField("REMB identifier") }
        let count = Int(try r.u8())
        let exponentAndMantissa = try r.u24()
        let exponent = exponentAndMantissa >> 18
        let mantissa = UInt64(exponentAndMantissa & 0x3_FFFF)
        // An exponent above 46 would overflow 64 bits with an 18-bit mantissa.
        let bitrate = exponent > 46 ? UInt64.max : mantissa << exponent
        var ssrcs: [UInt32] = []
        for _ in 0..<count { ssrcs.append(try r.u32()) }
        return RTCPReceiverEstimatedMaximumBitrate(senderSSRC: sender, bitrate: bitrate, ssrcs: ssrcs)
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        guard ssrcs.count <= 255 else { throw .valueTooLarge("ssrcs") }
        var exponent: UInt64 = 0
        while bitrate >> exponent > 0x3_FFFF { exponent += 1 }
        let mantissa = bitrate >> exponent
        let start = RTCPWriter.begin(&bytes, count: Self.formatType, packetType: RTCPPacketType.payloadSpecificFeedback)
        bytes.appendBigEndian(senderSSRC)
        bytes.appendBigEndian(UInt32(0))
        bytes.appendBigEndian(Self.identifier)
        bytes.append(UInt8(ssrcs.count))
        bytes.appendBigEndian24(UInt32(exponent << 18 | mantissa))
        for ssrc in ssrcs { bytes.appendBigEndian(ssrc) }
        RTCPWriter.finish(&bytes, start: start)
    }
}
