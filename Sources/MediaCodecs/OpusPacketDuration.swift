import COpus

extension OpusDecoder {
    /// Samples per channel at 48 kHz in one Opus packet, from its TOC and frame count (RFC 6716
    /// §3.1, opus_packet_get_nb_samples); nil for a malformed packet.
    public static func frameCount(of packet: [UInt8]) -> Int? {
        guard !packet.isEmpty else { return nil }
        let n = packet.withUnsafeBufferPointer { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return OPUS_BAD_ARG }
            return opus_packet_get_nb_samples(base, Int32(buffer.count), Int32(sampleRate))
        }
        return n > 0 ? Int(n) : nil
    }
}
