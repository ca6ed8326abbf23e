import PeerConnection
import SDP

/// What Tincan offers and answers with, read from the codec registry (the only list of
/// codecs, with the pipeline stages' rtcp-fb and extmaps), so these tests exercise the SDP
/// the product writes.
enum Tincan {
    static func video(direction: MediaDirection = .sendrecv) -> MediaCapabilities {
        RTCRtpCodecRegistry.tincan.capabilities(for: .video, direction: direction)
    }

    static func audio(direction: MediaDirection = .sendrecv) -> MediaCapabilities {
        RTCRtpCodecRegistry.tincan.capabilities(for: .audio, direction: direction)
    }
}
