/// Settings of a VoIP Opus encoder. 48 kHz only: capture sources deliver 48 kHz and Opus
/// RTP always runs a 48 kHz clock (RFC 7587 §4.1).
public struct OpusEncoderConfiguration: Sendable, Equatable {
    /// 1 or 2.
    public var channelCount: Int
    /// Bit/s (6000...510000).
    public var bitrate: Int
    /// Packet duration in milliseconds: 10, 20 (the default), 40 or 60.
    public var frameDuration: Int
    /// In-band forward error correction (LBRR): the next packet carries a coarse copy of
    /// this one, useful when the peer reports loss.
    public var inbandFEC: Bool
    /// Expected loss in percent; FEC only engages when this is above 0.
    public var packetLossPercent: Int
    /// Discontinuous transmission: silence becomes 1-2 byte packets every 400 ms.
    public var dtx: Bool
    public var complexity: Int

    public init(channelCount: Int = 1, bitrate: Int? = nil, frameDuration: Int = 20, inbandFEC: Bool = true,
                packetLossPercent: Int = 10, dtx: Bool = false, complexity: Int = 9) {
        self.channelCount = channelCount
        self.bitrate = bitrate ?? (channelCount == 2 ? 64_000 : 32_000)
        self.frameDuration = frameDuration
        self.inbandFEC = inbandFEC
        self.packetLossPercent = packetLossPercent
        self.dtx = dtx
        self.complexity = complexity
    }
}
