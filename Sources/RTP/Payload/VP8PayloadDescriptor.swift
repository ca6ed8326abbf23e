/// The VP8 payload descriptor (RFC 7741 §4.2), 1 to 6 bytes at the start of every payload:
///
///     |X|R|N|S|R| PID |   required
///     |I|L|T|K| RSV   |   if X
///     |M| PictureID   |   if I (second byte if M: 15-bit picture ID)
///     |   TL0PICIDX   |   if L
///     |TID|Y| KEYIDX  |   if T or K
public struct VP8PayloadDescriptor: Sendable, Equatable {
    /// N: the frame can be discarded without affecting others.
    public var nonReferenceFrame: Bool
    /// S: this packet begins a VP8 partition.
    public var startOfPartition: Bool
    /// PID: the partition index (0-7).
    public var partitionIndex: UInt8
    /// 7- or 15-bit picture ID (I), with M telling which.
    public var pictureID: UInt16?
    public var pictureIDIs15Bit: Bool
    /// TL0PICIDX (L).
    public var temporalLevelZeroIndex: UInt8?
    /// TID (T) and the layer sync bit Y.
    public var temporalLayerIndex: UInt8?
    public var layerSync: Bool
    /// KEYIDX (K).
    public var keyIndex: UInt8?

    public init(
        nonReferenceFrame: Bool = false, startOfPartition: Bool, partitionIndex: UInt8 = 0,
        pictureID: UInt16? = nil, pictureIDIs15Bit: Bool = true, temporalLevelZeroIndex: UInt8? = nil,
        temporalLayerIndex: UInt8? = nil, layerSync: Bool = false, keyIndex: UInt8? = nil
    ) {
        self.nonReferenceFrame = nonReferenceFrame
        self.startOfPartition = startOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.pictureIDIs15Bit = pictureIDIs15Bit
        self.temporalLevelZeroIndex = temporalLevelZeroIndex
        self.temporalLayerIndex = temporalLayerIndex
        self.layerSync = layerSync
        self.keyIndex = keyIndex
    }

    /// True for the first packet of a frame: S = 1 and PID = 0 (RFC 7741 §4.4).
    public var isFrameStart: Bool { startOfPartition && partitionIndex == 0 }

    /// Parses the descriptor; returns it and its length in bytes.
    public static func parse(_ buffer: UnsafeRawBufferPointer) throws(RTPError) -> (VP8PayloadDescriptor, Int) {
        var r = ByteReader(buffer)
        let b0 = try r.u8()
        var d = VP8PayloadDescriptor(
            nonReferenceFrame: b0 & 0x20 != 0, startOfPartition: b0 & 0x10 != 0,
            partitionIndex: b0 & 0x07, pictureIDIs15Bit: false)
        if b0 & 0x80 != 0 {
            let x = try r.u8()
            if x & 0x80 != 0 {
                let p0 = try r.u8()
                if p0 & 0x80 != 0 {
                    d.pictureID = UInt16(p0 & 0x7F) << 8 | UInt16(try r.u8())
                    d.pictureIDIs15Bit = true
                } else {
                    d.pictureID = UInt16(p0)
                }
            }
            if x & 0x40 != 0 { d.temporalLevelZeroIndex = try r.u8() }
            if x & 0x30 != 0 {
                let tk = try r.u8()
                if x & 0x20 != 0 {
                    d.temporalLayerIndex = tk >> 6
                    d.layerSync = tk & 0x20 != 0
                }
                if x & 0x10 != 0 { d.keyIndex = tk & 0x1F }
            }
        }
        // A descriptor alone (no payload byte) is not a valid VP8 packet (RFC 7741 §4.2).
        guard r.remaining > 0 else { throw .truncated }
        return (d, r.offset)
    }

    public static func parse(_ bytes: [UInt8]) throws(RTPError) -> (VP8PayloadDescriptor, Int) {
        try withBytes(bytes) { raw throws(RTPError) in try parse(raw) }
    }

    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        guard partitionIndex < 8 else { throw .valueTooLarge("partitionIndex") }
        let hasX = pictureID != nil || temporalLevelZeroIndex != nil || temporalLayerIndex != nil || keyIndex != nil
        bytes.append((hasX ? 0x80 : 0) | (nonReferenceFrame ? 0x20 : 0) | (startOfPartition ? 0x10 : 0) | partitionIndex)
        guard hasX else { return }
        var x: UInt8 = 0
        if pictureID != nil { x |= 0x80 }
        if temporalLevelZeroIndex != nil { x |= 0x40 }
        if temporalLayerIndex != nil { x |= 0x20 }
        if keyIndex != nil { x |= 0x10 }
        bytes.append(x)
        if let pictureID {
            if pictureIDIs15Bit {
                guard pictureID < 0x8000 else { throw .valueTooLarge("pictureID") }
                bytes.append(0x80 | UInt8(pictureID >> 8))
                bytes.append(UInt8(truncatingIfNeeded: pictureID))
            } else {
                guard pictureID < 0x80 else { throw .valueTooLarge("pictureID") }
                bytes.append(UInt8(pictureID))
            }
        }
        if let temporalLevelZeroIndex { bytes.append(temporalLevelZeroIndex) }
        if temporalLayerIndex != nil || keyIndex != nil {
            guard (temporalLayerIndex ?? 0) < 4, (keyIndex ?? 0) < 32 else { throw .valueTooLarge("TID/KEYIDX") }
            bytes.append((temporalLayerIndex ?? 0) << 6 | (layerSync ? 0x20 : 0) | (keyIndex ?? 0))
        }
    }
}

/// VP8 frames in RTP (RFC 7741): the descriptor is stripped; frames start at S=1, PID=0.
public enum VP8Depacketizer: RTPDepacketizer {
    /// A predicate: a descriptor that does not parse starts no frame; the frame it belongs to
    /// is then given up and counted (`framesDropped`, `framesDroppedMalformed`).
    public static func isFrameStart(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard let (d, _) = try? VP8PayloadDescriptor.parse(payload) else { return false }
        return d.isFrameStart
    }

    /// RFC 7741 §4.3: in the first packet of a frame the VP8 payload header's P bit (bit 0 of
    /// its first byte) is 0 for a keyframe ("inverse key frame flag").
    public static func isKeyframe(_ firstPayload: UnsafeRawBufferPointer) -> Bool {
        guard let (d, length) = try? VP8PayloadDescriptor.parse(firstPayload), d.isFrameStart,
            length < firstPayload.count
        else { return false }
        return firstPayload[length] & 0x01 == 0
    }

    public static func appendFrameData(_ payload: UnsafeRawBufferPointer, to frame: inout [UInt8]) throws(RTPError) {
        let (_, length) = try VP8PayloadDescriptor.parse(payload)
        frame.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[length...]))
    }
}

/// Splits VP8 frames into RTP payloads of at most `maxPayloadSize` bytes (descriptor
/// included), each with a 15-bit picture ID; sizes are balanced so that the last packet is
/// not a tiny remainder. Reuses one buffer: no allocation per packet in steady state.
public struct VP8Packetizer: Sendable {
    public var maxPayloadSize: Int
    /// The picture ID of the next frame (15 bits, wraps).
    public var pictureID: UInt16
    private var buffer: [UInt8] = []

    public init(maxPayloadSize: Int = 1200, initialPictureID: UInt16 = 0) {
        self.maxPayloadSize = max(maxPayloadSize, 5)
        self.pictureID = initialPictureID & 0x7FFF
        buffer.reserveCapacity(self.maxPayloadSize)
    }

    /// Emits one payload per packet, in order; `isLast` marks the packet that should carry
    /// the RTP marker bit (RFC 7741 §4.1).
    public mutating func packetize(
        _ frame: UnsafeRawBufferPointer,
        emit: (_ payload: UnsafeRawBufferPointer, _ isLast: Bool) throws -> Void
    ) rethrows {
        let descriptorSize = 4
        let budget = maxPayloadSize - descriptorSize
        let count = max(1, (frame.count + budget - 1) / budget)
        let base = frame.count / count, extra = frame.count % count
        var offset = 0
        for i in 0..<count {
            let size = base + (i < count - extra ? 0 : 1)
            buffer.removeAll(keepingCapacity: true)
            // X=1, S on the first packet, PID 0; I=1; M=1 with a 15-bit picture ID.
            buffer.append(i == 0 ? 0x90 : 0x80)
            buffer.append(0x80)
            buffer.append(0x80 | UInt8(pictureID >> 8))
            buffer.append(UInt8(truncatingIfNeeded: pictureID))
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[offset..<(offset + size)]))
            offset += size
            try buffer.withUnsafeBytes { try emit($0, i == count - 1) }
        }
        pictureID = (pictureID &+ 1) & 0x7FFF
    }

    public mutating func packetize(
        _ frame: [UInt8], emit: (_ payload: UnsafeRawBufferPointer, _ isLast: Bool) throws -> Void
    ) rethrows {
        try frame.withUnsafeBytes { try packetize($0, emit: emit) }
    }
}
