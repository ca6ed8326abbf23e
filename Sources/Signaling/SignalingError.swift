import Foundation

/// What went wrong while exchanging an offer and its answer. Every case says what to do in
/// its description, because these messages reach a person at a terminal.
public enum SignalingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a JSON object.
    case badJSON(String)
    /// The JSON object's `type` is not one of the protocol's (see signaling/PROTOCOL.md).
    case unknownMessageType(String)
    /// A message lacks a field its type requires, or the field has the wrong JSON type.
    case missingField(type: String, field: String)
    /// The server (or the WHIP resource) refused: `code` is the protocol's error code.
    case server(code: String, message: String)
    /// An HTTP exchange (WHIP) answered with an unexpected status.
    case http(status: Int, body: String)
    /// The connection closed (or could not open) before the exchange finished.
    case connectionClosed(String)
    /// Nothing arrived in time.
    case timeout(String)
    /// A URL or address that cannot be used.
    case badAddress(String)
    /// Copy-and-paste or file blobs that are damaged, incomplete or out of order.
    case blob(String)
    /// The exchange was used out of order (e.g. `sendAnswer` before `receiveOffer`).
    case misuse(String)

    public var description: String {
        switch self {
        case .badJSON(let detail): return "bad JSON: \(detail)"
        case .unknownMessageType(let type):
            let shown = type.count <= 40 ? "\"\(type)\"" : "\"\(type.prefix(40))...\" (\(type.utf8.count) bytes)"
            return "unknown message type \(shown) (expected one of: \(SignalMessage.knownTypes.joined(separator: ", ")))"
        case .missingField(let type, let field): return "message \"\(type)\" needs the field \"\(field)\""
        case .server(let code, let message): return "\(code): \(message)"
        case .http(let status, let body):
            let text = body.trimmingCharacters(in: .whitespacesAndNewlines)
            return "HTTP \(status)" + (text.isEmpty ? "" : ": \(text)")
        case .connectionClosed(let detail): return "connection closed: \(detail)"
        case .timeout(let detail): return "timed out: \(detail)"
        case .badAddress(let detail): return "bad address: \(detail)"
        case .blob(let detail): return detail
        case .misuse(let detail): return detail
        }
    }
}
