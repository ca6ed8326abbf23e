/// Splits the transport's target among its senders, the way libwebrtc's BitrateAllocator
/// does in the simple case: audio first (its rate is small and fixed, and losing it is what a
/// listener notices), then the video streams share what is left evenly, each within its cap.
/// Rates are on the wire (RTP, SRTP and IP/UDP headers included), as the estimator counts
/// them; `encoderBitrate` takes the headers back off for the encoder.
enum BitrateAllocation {
    struct Stream: Sendable, Equatable {
        var isAudio: Bool
        /// The stream's cap on the wire (the user's `maxBitrate`, the picture's need).
        var maximum: Int
    }

    /// What each stream may send, in the streams' order. Video gets at least `videoFloor`
    /// even when the target says less: below it VP8 cannot hold a picture, and the
    /// estimator's target at its floor is already a request to send as little as possible.
    static func allocate(_ target: Int, to streams: [Stream], videoFloor: Int = 30_000) -> [Int] {
        var remaining = target
        var result = [Int](repeating: 0, count: streams.count)
        for i in streams.indices where streams[i].isAudio {
            result[i] = min(streams[i].maximum, max(0, remaining))
            remaining -= result[i]
        }
        var video = streams.indices.filter { !streams[$0].isAudio }
        // Capped streams first, so what they leave goes to the others.
        video.sort { streams[$0].maximum < streams[$1].maximum }
        for (n, i) in video.enumerated() {
            let share = max(0, remaining) / (video.count - n)
            result[i] = max(videoFloor, min(streams[i].maximum, share))
            remaining -= result[i]
        }
        return result
    }

    /// Bytes of headers per packet on the wire beside the payload: IPv4 20 + UDP 8 + RTP 12 +
    /// header extensions (mid, abs-send-time, transport-cc: about 16) + the SRTP tag 10.
    static let headerBytesPerPacket = 66

    /// The encoder's share of a wire rate, for packets of about `payloadSize` bytes.
    static func encoderBitrate(wire: Int, payloadSize: Int) -> Int {
        let ratio = Double(payloadSize) / Double(payloadSize + headerBytesPerPacket)
        return Int(Double(wire) * ratio)
    }
}
