/// Builds RTP packets into one reusable buffer: after the first packets no allocation is
/// needed (`begin` keeps the capacity). Steps: `begin`, any `appendExtension`, then
/// `appendPayload` (one or more), then `finish`.
public struct RTPPacketWriter: Sendable {
    public private(set) var bytes: [UInt8]
    private var extensionForm: RTPHeaderExtensionForm?
    private var extensionHeaderOffset = -1
    private var extensionClosed = true

    public init(capacity: Int = 1500) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Starts a packet: the fixed header and CSRCs. With `extensionForm` set, an extension
    /// block is opened and elements may follow.
    public mutating func begin(
        marker: Bool, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
        csrcs: some Collection<UInt32> = [UInt32](), extensionForm: RTPHeaderExtensionForm? = nil
    ) throws(RTPError) {
        guard payloadType < 128 else { throw .valueTooLarge("payloadType") }
        guard csrcs.count <= 15 else { throw .valueTooLarge("csrcCount") }
        bytes.removeAll(keepingCapacity: true)
        bytes.append(0x80 | (extensionForm != nil ? 0x10 : 0) | UInt8(csrcs.count))
        bytes.append((marker ? 0x80 : 0) | payloadType)
        bytes.appendBigEndian(sequenceNumber)
        bytes.appendBigEndian(timestamp)
        bytes.appendBigEndian(ssrc)
        for csrc in csrcs { bytes.appendBigEndian(csrc) }
        self.extensionForm = extensionForm
        if let extensionForm {
            extensionHeaderOffset = bytes.count
            bytes.appendBigEndian(extensionForm.profile)
            bytes.appendBigEndian(UInt16(0))
            extensionClosed = false
        } else {
            extensionHeaderOffset = -1
            extensionClosed = true
        }
    }

    /// Appends one extension element. One-byte form: ID 1-14 and 1-16 bytes; two-byte form:
    /// ID 1-255 and 0-255 bytes (RFC 8285 §4.2, §4.3).
    public mutating func appendExtension(id: UInt8, _ data: some Collection<UInt8>) throws(RTPError) {
        try appendElementHeader(id: id, length: data.count)
        bytes.append(contentsOf: data)
    }

    private mutating func appendElementHeader(id: UInt8, length: Int) throws(RTPError) {
        guard let form = extensionForm, !extensionClosed else { throw .invalidHeaderExtension }
        switch form {
        case .oneByte:
            guard (1...14).contains(id), (1...16).contains(length) else { throw .invalidHeaderExtension }
            bytes.append(id << 4 | UInt8(length - 1))
        case .twoByte:
            guard id >= 1, length <= 255 else { throw .invalidHeaderExtension }
            bytes.append(id)
            bytes.append(UInt8(length))
        }
    }

    /// transport-wide sequence number: 2 bytes.
    public mutating func appendExtension(id: UInt8, uint16 value: UInt16) throws(RTPError) {
        try appendElementHeader(id: id, length: 2)
        bytes.appendBigEndian(value)
    }

    /// abs-send-time: 3 bytes.
    public mutating func appendExtension(id: UInt8, uint24 value: UInt32) throws(RTPError) {
        try appendElementHeader(id: id, length: 3)
        bytes.appendBigEndian24(value)
    }

    private mutating func closeExtension() {
        guard !extensionClosed else { return }
        extensionClosed = true
        while (bytes.count - extensionHeaderOffset) % 4 != 0 { bytes.append(0) }
        let words = (bytes.count - extensionHeaderOffset - 4) / 4
        bytes.setBigEndian(UInt16(truncatingIfNeeded: words), at: extensionHeaderOffset + 2)
    }

    public mutating func appendPayload(_ payload: some Collection<UInt8>) {
        closeExtension()
        bytes.append(contentsOf: payload)
    }

    /// The RTX original sequence number (RFC 4588 §4), first in the payload.
    public mutating func appendPayload(uint16 value: UInt16) {
        closeExtension()
        bytes.appendBigEndian(value)
    }

    public mutating func appendPayload(_ payload: UnsafeRawBufferPointer) {
        closeExtension()
        bytes.append(contentsOf: payload)
    }

    /// Ends the packet, adding `paddingLength` bytes of padding (RFC 3550 §5.1: the last
    /// byte counts them) if non-zero.
    public mutating func finish(paddingLength: Int = 0) throws(RTPError) {
        closeExtension()
        guard (0...255).contains(paddingLength) else { throw .valueTooLarge("paddingLength") }
        if paddingLength > 0 {
            bytes[0] |= 0x20
            for _ in 1..<paddingLength { bytes.append(0) }
            bytes.append(UInt8(paddingLength))
        }
    }
}

