/// Names the records of one DTLS datagram for the handshake log ("ClientHello",
/// "ServerHello, Certificate, ..."). RFC 6347 §4.1: 13-byte record headers (type, version,
/// epoch, sequence number, length); in epoch 0 the handshake message type leads the body
/// in the clear (§4.2.2), after it records are encrypted (the Finished).
enum DTLSRecordDescription {
    static func describe(_ datagram: [UInt8]) -> String {
        var parts: [String] = []
        var i = 0
        while i + 13 <= datagram.count {
            let type = datagram[i]
            let epoch = UInt16(datagram[i + 3]) << 8 | UInt16(datagram[i + 4])
            let length = Int(datagram[i + 11]) << 8 | Int(datagram[i + 12])
            let body = i + 13
            switch type {
            case 20: parts.append("ChangeCipherSpec")
            case 21: parts.append(epoch == 0 && body + 1 < datagram.count ? "Alert \(datagram[body + 1])" : "Alert (encrypted)")
            case 22: parts.append(epoch == 0 && body < datagram.count ? handshakeName(datagram[body]) : "Finished (encrypted)")
            case 23: parts.append("ApplicationData")
            default: parts.append("record type \(type)")
            }
            i = body + length
        }
        return parts.isEmpty ? "\(datagram.count) bytes, no whole record" : parts.joined(separator: ", ")
    }

    /// RFC 5246 §7.4 and RFC 6347 §4.3.2 (HelloVerifyRequest).
    static func handshakeName(_ type: UInt8) -> String {
        switch type {
        case 1: "ClientHello"
        case 2: "ServerHello"
        case 3: "HelloVerifyRequest"
        case 4: "NewSessionTicket"
        case 11: "Certificate"
        case 12: "ServerKeyExchange"
        case 13: "CertificateRequest"
        case 14: "ServerHelloDone"
        case 15: "CertificateVerify"
        case 16: "ClientKeyExchange"
        case 20: "Finished"
        default: "handshake type \(type)"
        }
    }
}
