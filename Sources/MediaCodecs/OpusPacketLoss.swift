/// The loss an Opus encoder plans for (OPUS_SET_PACKET_LOSS_PERC), following the peer's
/// receiver reports: each report's fraction lost (RFC 3550 §6.4.1, the last interval's loss
/// of this stream) moves a smoothed estimate, and the encoder hears of it only when the
/// estimate leaves the current whole percent by at least one point, so a loss rate on the
/// edge of two values does not reconfigure it every second. libopus then spends bits on
/// in-band FEC (LBRR) for that much loss when FEC is on, and leans less on the previous
/// frame either way (libwebrtc's AudioEncoderOpus smooths the uplink loss the same way).
public struct OpusPacketLoss: Sendable, Equatable {
    /// How far one report moves the estimate: with reports every second, a step in the
    /// loss is 90 % followed within about 6 s.
    public static let reportWeight = 0.3

    /// Smoothed loss, 0...1.
    public private(set) var smoothed: Double
    /// What the encoder was last told, 0...100.
    public private(set) var percent: Int
    /// Reports taken in.
    public private(set) var reports = 0

    public init(percent: Int = 0) {
        self.percent = max(0, min(100, percent))
        smoothed = Double(self.percent) / 100
    }

    /// One receiver report's fraction lost (0...1); returns the new percent for the encoder
    /// when it changed.
    public mutating func report(fractionLost: Double) -> Int? {
        let sample = fractionLost.isFinite ? max(0, min(1, fractionLost)) : 0
        smoothed = reports == 0 ? sample : smoothed + Self.reportWeight * (sample - smoothed)
        reports += 1
        let exact = smoothed * 100
        let next = Int(exact.rounded())
        // Back to no loss at all is worth saying as soon as it rounds to 0.
        guard next != percent, abs(exact - Double(percent)) >= 1 || next == 0 else { return nil }
        percent = next
        return percent
    }
}
