/// Cuts the encoder's share of the target while more data is in flight than a congestion
/// window of (RTT + `additionalTime`) × target (libwebrtc's
/// `CongestionWindowPushbackController`, as Chrome runs it: QueueSize 350 ms, MinBitrate
/// 30 kbit/s). The delay-based detector reads only the *slope* of the delay: after a sudden
/// capacity drop it stops the growth, but a queue already standing (seconds at the new rate)
/// drains only as fast as the target is under the capacity. Bytes in flight see the queue
/// itself, so the encoder backs off until it drains.
public struct CongestionWindowPushbackController: Sendable {
    public var additionalTime: Duration = .milliseconds(350)
    public var minimumPushbackBitrate = 30_000
    static let minimumWindowBytes = 2 * 1500

    /// 0...1: the share of the target the encoders get.
    public private(set) var encodingRateRatio = 1.0
    public private(set) var dataWindow: Int?

    public init() {}

    /// The window follows (RTT + additional time) × the target, halfway per update.
    public mutating func updateWindow(target: Int, roundTripTime: Duration) {
        let window = Int(Double(target) / 8 * (roundTripTime + additionalTime).seconds)
        if let current = dataWindow {
            dataWindow = max(Self.minimumWindowBytes, (window + current) / 2)
        } else {
            dataWindow = max(Self.minimumWindowBytes, window)
        }
    }

    /// The encoder target for `bitrate` with `outstandingBytes` in flight.
    public mutating func updateTargetBitrate(_ bitrate: Int, outstandingBytes: Int) -> Int {
        guard let window = dataWindow, window > 0 else { return bitrate }
        let fill = Double(outstandingBytes) / Double(window)
        if fill > 1.5 {
            encodingRateRatio *= 0.9
        } else if fill > 1 {
            encodingRateRatio *= 0.95
        } else if fill < 0.1 {
            encodingRateRatio = 1
        } else {
            encodingRateRatio = min(encodingRateRatio * 1.05, 1)
        }
        let adjusted = Int(Double(bitrate) * encodingRateRatio)
        // Never below the floor because of pushback, but obey an estimate under it.
        return adjusted < minimumPushbackBitrate ? min(bitrate, minimumPushbackBitrate) : adjusted
    }
}
