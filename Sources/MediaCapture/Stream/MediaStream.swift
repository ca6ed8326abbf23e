import MediaPrimitives
/// A MediaStream (getusermedia.html §"MediaStream"): a set of tracks.
public final class MediaStream: Sendable {
    public let id: String
    private let tracks: [MediaStreamTrack]

    public init(tracks: [MediaStreamTrack]) {
        self.id = MediaStreamTrack.makeId()
        self.tracks = tracks
    }

    public func getTracks() -> [MediaStreamTrack] { tracks }
    public func getVideoTracks() -> [MediaStreamTrack] { tracks.filter { $0.deviceKind == .videoinput } }
    public func getAudioTracks() -> [MediaStreamTrack] { tracks.filter { $0.deviceKind == .audioinput } }
    public func getTrackById(_ id: String) -> MediaStreamTrack? { tracks.first { $0.id == id } }
    /// A stream is active while any of its tracks is live.
    public var active: Bool { tracks.contains { $0.readyState == .live } }
}

/// MediaDeviceInfo (§"MediaDeviceInfo"), with the device's capabilities (what
/// InputDeviceInfo.getCapabilities() returns).
public struct MediaDeviceInfo: Sendable {
    public var deviceId: String
    public var kind: MediaDeviceKind
    public var label: String
    public var groupId: String
    public var capabilities: MediaTrackCapabilities

    public var json: JSONValue {
        .object([("deviceId", .string(deviceId)), ("kind", .string(kind.rawValue)), ("label", .string(label)),
                 ("groupId", .string(groupId)), ("capabilities", capabilities.json)])
    }
}
