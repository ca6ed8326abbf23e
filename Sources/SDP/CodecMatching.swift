extension RTPCodec {
    /// Whether two descriptions name the same format (RFC 3264 §6.1: by encoding name, clock
    /// rate and channels, names case-insensitive), plus the format parameters that make a
    /// different format under the same name: H.264 packetization-mode and profile
    /// (RFC 6184 §8.2.2), VP9 profile-id, AV1 profile.
    public func isCompatible(with other: RTPCodec) -> Bool {
        guard name.lowercased() == other.name.lowercased(), clockRate == other.clockRate,
              channelCount == other.channelCount else { return false }
        switch name.lowercased() {
        case "h264":
            let mode = { (c: RTPCodec) in c.parameters["packetization-mode"] ?? "0" }
            // profile_idc and profile-iop: the first four hex digits of profile-level-id.
            let profile = { (c: RTPCodec) in (c.parameters["profile-level-id"] ?? "42001f").lowercased().prefix(4) }
            return mode(self) == mode(other) && profile(self) == profile(other)
        case "vp9":
            return (parameters["profile-id"] ?? "0") == (other.parameters["profile-id"] ?? "0")
        case "av1":
            return (parameters["profile"] ?? "0") == (other.parameters["profile"] ?? "0")
        default:
            return true
        }
    }

    /// The rtcp-fb entries both sides list, in this codec's order.
    func feedback(commonWith other: RTPCodec) -> [RTCPFeedback] {
        feedback.filter { mine in other.feedback.contains { mine.matches($0) } }
    }

    /// RED's fmtp (RFC 2198 §5 as used by WebRTC): `111/111`, the payload types it carries.
    public var redundantPayloadTypes: [Int]? {
        guard name.lowercased() == "red", !parameters.isEmpty else { return nil }
        let parts = parameters.raw.split(separator: "/")
        let types = parts.compactMap { Int($0.trimmingSpaces) }
        return types.count == parts.count ? types : nil
    }
}
