/// One RTCP packet of a compound packet, decoded.
public enum RTCPPacket: Sendable, Equatable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    case sourceDescription(RTCPSourceDescription)
    case goodbye(RTCPGoodbye)
    case genericNACK(RTCPGenericNACK)
    case pictureLossIndication(RTCPPictureLossIndication)
    case fullIntraRequest(RTCPFullIntraRequest)
    case receiverEstimatedMaximumBitrate(RTCPReceiverEstimatedMaximumBitrate)
    case transportFeedback(RTCPTransportFeedback)
    case extendedReport(RTCPExtendedReport)
    /// Any other type (APP, XR, unknown feedback): kept as its header fields and body bytes.
    case unknown(packetType: UInt8, count: UInt8, body: [UInt8])

    /// Parses a compound RTCP packet (RFC 3550 §6.1), or a reduced-size one (RFC 5506: a
    /// single feedback packet need not start with SR/RR, so none is required here).
    public static func parseCompound(_ buffer: UnsafeRawBufferPointer) throws(RTPError) -> [RTCPPacket] {
        guard !buffer.isEmpty else { throw .truncated }
        var packets: [RTCPPacket] = []
        var offset = 0
        while offset < buffer.count {
            let header = try RTCPHeader.parse(buffer, at: offset)
            var end = offset + header.packetLength
            if header.padding {
                let pad = Int(buffer[end - 1])
                guard pad > 0, pad <= header.packetLength - 4 else { throw .invalidPadding }
                end -= pad
            }
            // The body reader cannot read past this packet.
            let packetBuffer = UnsafeRawBufferPointer(rebasing: buffer[0..<end])
            var r = ByteReader(packetBuffer, offset: offset + 4)
            packets.append(try parseBody(header, &r, buffer: packetBuffer, end: end))
            offset += header.packetLength
        }
        return packets
    }

    public static func parseCompound(_ bytes: [UInt8]) throws(RTPError) -> [RTCPPacket] {
        try withBytes(bytes) { raw throws(RTPError) in try parseCompound(raw) }
    }

    private static func parseBody(
        _ header: RTCPHeader, _ r: inout ByteReader, buffer: UnsafeRawBufferPointer, end: Int
    ) throws(RTPError) -> RTCPPacket {
        let bodyOffset = r.offset
        switch (header.packetType, header.count) {
        case (RTCPPacketType.senderReport, _):
            return .senderReport(try RTCPSenderReport.parse(header, &r))
        case (RTCPPacketType.receiverReport, _):
            return .receiverReport(try RTCPReceiverReport.parse(header, &r))
        case (RTCPPacketType.sourceDescription, _):
            return .sourceDescription(try RTCPSourceDescription.parse(header, &r, end: end))
        case (RTCPPacketType.goodbye, _):
            return .goodbye(try RTCPGoodbye.parse(header, &r, end: end))
        case (RTCPPacketType.extendedReport, _):
            return .extendedReport(try RTCPExtendedReport.parse(&r, end: end))
        case (RTCPPacketType.transportFeedback, RTCPGenericNACK.formatType):
            return .genericNACK(try RTCPGenericNACK.parse(&r, end: end))
        case (RTCPPacketType.transportFeedback, RTCPTransportFeedback.formatType):
            return .transportFeedback(try RTCPTransportFeedback.parse(&r, end: end))
        case (RTCPPacketType.payloadSpecificFeedback, RTCPPictureLossIndication.formatType):
            return .pictureLossIndication(RTCPPictureLossIndication(senderSSRC: try r.u32(), mediaSSRC: try r.u32()))
        case (RTCPPacketType.payloadSpecificFeedback, RTCPFullIntraRequest.formatType):
            return .fullIntraRequest(try RTCPFullIntraRequest.parse(&r, end: end))
        case (RTCPPacketType.payloadSpecificFeedback, RTCPReceiverEstimatedMaximumBitrate.formatType)
        where RTCPReceiverEstimatedMaximumBitrate.matches(buffer, bodyOffset: bodyOffset):
            return .receiverEstimatedMaximumBitrate(try RTCPReceiverEstimatedMaximumBitrate.parse(&r))
        default:
            return .unknown(packetType: header.packetType, count: header.count, body: Array(buffer[bodyOffset..<end]))
        }
    }

    /// Appends this packet's bytes.
    public func write(into bytes: inout [UInt8]) throws(RTPError) {
        switch self {
        case .senderReport(let p): try p.write(into: &bytes)
        case .receiverReport(let p): try p.write(into: &bytes)
        case .sourceDescription(let p): try p.write(into: &bytes)
        case .goodbye(let p): try p.write(into: &bytes)
        case .genericNACK(let p): try p.write(into: &bytes)
        case .pictureLossIndication(let p): p.write(into: &bytes)
        case .fullIntraRequest(let p): p.write(into: &bytes)
        case .receiverEstimatedMaximumBitrate(let p): try p.write(into: &bytes)
        case .transportFeedback(let p): try p.write(into: &bytes)
        case .extendedReport(let p): try p.write(into: &bytes)
        case .unknown(let type, let count, let body):
            let start = RTCPWriter.begin(&bytes, count: count, packetType: type)
            bytes.append(contentsOf: body)
            RTCPWriter.finish(&bytes, start: start)
        }
    }

    /// A compound packet made of `packets` in order.
    public static func serialize(_ packets: [RTCPPacket]) throws(RTPError) -> [UInt8] {
        var bytes: [UInt8] = []
        for p in packets { try p.write(into: &bytes) }
        return bytes
    }
}
