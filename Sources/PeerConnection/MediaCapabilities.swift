import RTP

/// What Tincan sends and receives, as offered in SDP (payload types are only our
/// preferences: an answer uses the offerer's).
enum MediaCapabilities {
    struct Codec: Sendable {
        var payloadType: UInt8
        var name: String
        var clockRate: UInt32
        var channels: Int?
        var parameters: [(String, String)]
        /// `a=rtcp-fb` values we act on: NACK -> RTX, PLI/FIR -> keyframe, REMB -> bitrate.
        /// transport-cc is left out: we have no congestion controller to feed yet.
        var feedback: [String]
        var rtxPayloadType: UInt8?
    }

    static let vp8 = Codec(payloadType: 96, name: "VP8", clockRate: 90_000, channels: nil, parameters: [],
                           feedback: ["goog-remb", "ccm fir", "nack", "nack pli"], rtxPayloadType: 97)
    /// Chromium only accepts Opus written exactly `opus/48000/2` (notes/interop.md).
    static let opus = Codec(payloadType: 111, name: "opus", clockRate: 48_000, channels: 2,
                            parameters: [("minptime", "10"), ("useinbandfec", "1")], feedback: [], rtxPayloadType: nil)

    static func codec(for kind: RTPStreamParameters.Kind) -> Codec { kind == .video ? vp8 : opus }

    /// Header extensions we write and read; ids kept within 1-14 (one-byte form).
    static let extensions: [(id: UInt8, uri: String)] = [
        (1, RTPHeaderExtensionURI.mid),
        (2, RTPHeaderExtensionURI.absSendTime),
    ]
}
