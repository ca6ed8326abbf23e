import Foundation

/// The role a peer takes in a room's offer/answer exchange. The web page uses it to decide
/// who offers: it offers to an `answerer`, waits for an `offerer`, and between two `any`
/// peers the one that joined second offers.
public enum PeerRole: String, Sendable, Codable, CaseIterable {
    case offerer, answerer, any
}

/// A peer as the server announces it in `joined` and `peer-joined`.
public struct PeerInfo: Sendable, Equatable {
    public var id: String
    public var role: PeerRole
    public init(id: String, role: PeerRole) {
        self.id = id
        self.role = role
    }
}

/// One trickled ICE candidate, in the shape of `RTCIceCandidateInit` (WebRTC 1.0 §4.8.1),
/// so a browser's `event.candidate.toJSON()` fits as it is.
public struct IceCandidateInit: Sendable, Equatable {
    public var candidate: String
    public var sdpMid: String?
    public var sdpMLineIndex: Int?
    public init(candidate: String, sdpMid: String? = nil, sdpMLineIndex: Int? = nil) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
    }
}

/// One JSON message of the room protocol (signaling/PROTOCOL.md). `from` is set by the
/// server on relayed messages to name the sender; clients leave it out.
public enum SignalMessage: Sendable, Equatable {
    case join(room: String, token: String?, role: PeerRole)
    case joined(room: String, id: String, peers: [PeerInfo])
    case peerJoined(PeerInfo)
    case peerLeft(id: String)
    case offer(sdp: String, from: String?)
    case answer(sdp: String, from: String?)
    case candidate(IceCandidateInit, from: String?)
    case endOfCandidates(from: String?)
    case bye(reason: String?, from: String?)
    case error(code: String, message: String)

    /// The protocol's `type` strings, in the order PROTOCOL.md lists them.
    public static let knownTypes = [
        "join", "joined", "peer-joined", "peer-left", "offer", "answer", "candidate",
        "end-of-candidates", "bye", "error",
    ]

    public var type: String {
        switch self {
        case .join: return "join"
        case .joined: return "joined"
        case .peerJoined: return "peer-joined"
        case .peerLeft: return "peer-left"
        case .offer: return "offer"
        case .answer: return "answer"
        case .candidate: return "candidate"
        case .endOfCandidates: return "end-of-candidates"
        case .bye: return "bye"
        case .error: return "error"
        }
    }

    /// The same message with `from` set: what the server relays.
    public func relayed(from sender: String) -> SignalMessage {
        switch self {
        case .offer(let sdp, _): return .offer(sdp: sdp, from: sender)
        case .answer(let sdp, _): return .answer(sdp: sdp, from: sender)
        case .candidate(let c, _): return .candidate(c, from: sender)
        case .endOfCandidates: return .endOfCandidates(from: sender)
        case .bye(let reason, _): return .bye(reason: reason, from: sender)
        default: return self
        }
    }

    /// Whether a peer may send this message to be relayed to the other peer of its room.
    public var isRelayed: Bool {
        switch self {
        case .offer, .answer, .candidate, .endOfCandidates, .bye: return true
        default: return false
        }
    }
}

// MARK: - JSON

extension SignalMessage {
    /// The message as one line of JSON text (keys sorted, slashes unescaped).
    public func jsonText() -> String {
        var object: [String: Any] = ["type": type]
        switch self {
        case .join(let room, let token, let role):
            object["room"] = room
            if let token { object["token"] = token }
            object["role"] = role.rawValue
        case .joined(let room, let id, let peers):
            object["room"] = room
            object["id"] = id
            object["peers"] = peers.map { ["id": $0.id, "role": $0.role.rawValue] }
        case .peerJoined(let peer):
            object["id"] = peer.id
            object["role"] = peer.role.rawValue
        case .peerLeft(let id):
            object["id"] = id
        case .offer(let sdp, let from), .answer(let sdp, let from):
            object["sdp"] = sdp
            if let from { object["from"] = from }
        case .candidate(let c, let from):
            object["candidate"] = c.candidate
            if let mid = c.sdpMid { object["sdpMid"] = mid }
            if let index = c.sdpMLineIndex { object["sdpMLineIndex"] = index }
            if let from { object["from"] = from }
        case .endOfCandidates(let from):
            if let from { object["from"] = from }
        case .bye(let reason, let from):
            if let reason { object["reason"] = reason }
            if let from { object["from"] = from }
        case .error(let code, let message):
            object["code"] = code
            object["message"] = message
        }
        // Only strings, integers, arrays and dictionaries go in: serialization cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses one JSON message. Throws `SignalingError` naming what is wrong: bad JSON, an
    /// unknown `type`, or a missing field.
    public init(jsonText: String) throws {
        try self.init(json: Data(jsonText.utf8))
    }

    public init(json data: Data) throws {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw SignalingError.badJSON("the message is not valid JSON text")
        }
        guard let object = parsed as? [String: Any] else {
            throw SignalingError.badJSON("the message must be a JSON object with a \"type\"")
        }
        guard let type = object["type"] as? String else {
            throw SignalingError.missingField(type: "(any)", field: "type")
        }
        func string(_ key: String) throws -> String {
            guard let value = object[key] as? String else { throw SignalingError.missingField(type: type, field: key) }
            return value
        }
        func optionalString(_ key: String) throws -> String? {
            guard let value = object[key], !(value is NSNull) else { return nil }
            guard let s = value as? String else { throw SignalingError.missingField(type: type, field: key) }
            return s
        }
        func role(_ key: String, default fallback: PeerRole?) throws -> PeerRole {
            guard let raw = try optionalString(key) else {
                if let fallback { return fallback }
                throw SignalingError.missingField(type: type, field: key)
            }
            guard let role = PeerRole(rawValue: raw) else {
                // Not quoting `raw`: a server must not echo what a client sent (it may be huge).
                throw SignalingError.badJSON("\"\(key)\" must be one of \(PeerRole.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return role
        }
        switch type {
        case "join":
            self = .join(room: try string("room"), token: try optionalString("token"), role: try role("role", default: .any))
        case "joined":
            guard let list = object["peers"] as? [[String: Any]] else { throw SignalingError.missingField(type: type, field: "peers") }
            var peers: [PeerInfo] = []
            for entry in list {
                guard let id = entry["id"] as? String else { throw SignalingError.missingField(type: type, field: "peers[].id") }
                let raw = entry["role"] as? String ?? "any"
                peers.append(PeerInfo(id: id, role: PeerRole(rawValue: raw) ?? .any))
            }
            self = .joined(room: try string("room"), id: try string("id"), peers: peers)
        case "peer-joined":
            self = .peerJoined(PeerInfo(id: try string("id"), role: try role("role", default: .any)))
        case "peer-left":
            self = .peerLeft(id: try string("id"))
        case "offer":
            self = .offer(sdp: try string("sdp"), from: try optionalString("from"))
        case "answer":
            self = .answer(sdp: try string("sdp"), from: try optionalString("from"))
        case "candidate":
            var index: Int? = nil
            if let value = object["sdpMLineIndex"], !(value is NSNull) {
                guard let number = value as? NSNumber, let i = Int(exactly: number.doubleValue), i >= 0 else {
                    throw SignalingError.missingField(type: type, field: "sdpMLineIndex")
                }
                index = i
            }
            let c = IceCandidateInit(candidate: try string("candidate"), sdpMid: try optionalString("sdpMid"), sdpMLineIndex: index)
            self = .candidate(c, from: try optionalString("from"))
        case "end-of-candidates":
            self = .endOfCandidates(from: try optionalString("from"))
        case "bye":
            self = .bye(reason: try optionalString("reason"), from: try optionalString("from"))
        case "error":
            self = .error(code: try string("code"), message: try string("message"))
        default:
            throw SignalingError.unknownMessageType(type)
        }
    }
}
