import Logging

/// The ICE subsystem's log, `tincan.ice`. The core stays free of I/O: the driver logs the
/// STUN it sends and receives (the connectivity checks of RFC 8445 §7.2 and consent,
/// RFC 7675) at debug, the core's events at debug or info, and what it refused (counted in
/// `ICEAgentCounters`) at debug.
enum ICELog {
    static let logger = Logger(label: "tincan.ice")

    /// "Binding request [USE-CANDIDATE] tid=..." for a STUN datagram; nil for anything else.
    /// Parses the message again: call only when the line will be written.
    static func describe(_ bytes: [UInt8]) -> String? {
        guard STUNMessage.looksLikeSTUN(bytes), let m = try? STUNMessage(parsing: bytes) else { return nil }
        let method: String
        switch m.type.method {
        case .binding: method = "Binding"
        case .allocate: method = "Allocate"
        case .refresh: method = "Refresh"
        case .send: method = "Send"
        case .data: method = "Data"
        case .createPermission: method = "CreatePermission"
        case .channelBind: method = "ChannelBind"
        default: method = "method 0x\(String(m.type.method.rawValue, radix: 16))"
        }
        var text: String
        switch m.type.messageClass {
        case .request: text = "\(method) request"
        case .indication: text = "\(method) indication"
        case .successResponse: text = "\(method) success response"
        case .errorResponse: text = "\(method) error response \(m.errorCode.map { "\($0.code) \($0.reason)" } ?? "")"
        }
        if m.useCandidate { text += " USE-CANDIDATE" }
        return text + " tid=\(m.transactionID)"
    }
}
