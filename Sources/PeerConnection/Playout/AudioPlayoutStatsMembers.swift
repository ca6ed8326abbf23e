import MediaPrimitives

extension RTCPeerConnection {
    /// inbound-rtp audio members of a playing stream (webrtc-stats §7.4), then Tincan's own.
    static func playoutMembers(_ a: AudioPlayoutStatistics) -> [(String, JSONValue)] {
        func n(_ v: Int64) -> JSONValue { .number(Double(v)) }
        return [
            ("jitterBufferDelay", .number(a.jitterBufferDelay)),
            ("jitterBufferTargetDelay", .number(a.jitterBufferTargetDelay)),
            ("jitterBufferEmittedCount", n(a.jitterBufferEmittedCount)),
            ("totalSamplesReceived", n(a.totalSamplesReceived)),
            ("concealedSamples", n(a.concealedSamples)),
            ("silentConcealedSamples", n(a.silentConcealedSamples)),
            ("concealmentEvents", n(a.concealmentEvents)),
            ("insertedSamplesForDeceleration", n(a.insertedSamplesForDeceleration)),
            ("removedSamplesForAcceleration", n(a.removedSamplesForAcceleration)),
            ("audioLevel", .number(a.audioLevel)),
            ("totalAudioEnergy", .number(a.totalAudioEnergy)),
            ("totalSamplesDuration", .number(a.totalSamplesDuration)),
            // Not webrtc-stats members.
            ("packetsDiscardedLate", n(a.packetsDiscardedLate)),
            ("packetsDuplicated", n(a.packetsDuplicated)),
            ("fecSamples", n(a.fecSamples)),
            ("underrunBlocks", n(a.underrunBlocks)),
            ("playoutDecodeErrors", n(a.decodeErrors)),
            ("timestampJumps", n(a.timestampJumps)),
            ("lipSyncDelay", .number(a.lipSyncDelay)),
        ]
    }
}
