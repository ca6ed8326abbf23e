@testable import PeerConnection
import RTP
import SDP
import Testing

/// The codec registry: the only list of codecs, what the offer lists, where a negotiated
/// stream finds its parts.
@Suite struct CodecRegistryTests {
    @Test func theOfferListsTheRegistrysCodecsWithTheStagesFeedback() {
        let video = RTCRtpCodecRegistry.tincan.capabilities(for: .video, direction: .sendrecv)
        #expect(video.kind == .video)
        #expect(video.codecs == [
            RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000, feedback: [.nack, .pli, .fir, .remb, .transportCC]),
            .rtx(payloadType: 97, for: 96),
        ])
        #expect(video.headerExtensions.map(\.id) == [1, 2, 3])
        #expect(video.headerExtensions.map(\.uri) == [RTPHeaderExtensionURI.mid, RTPHeaderExtensionURI.absSendTime,
                                                      RTPHeaderExtensionURI.transportSequenceNumber])
        let audio = RTCRtpCodecRegistry.tincan.capabilities(for: .audio, direction: .recvonly)
        #expect(audio.codecs.map(\.payloadType) == [111])
        #expect(audio.codecs[0].feedback == [.transportCC])
        #expect(audio.codecs[0].parameters.raw == "minptime=10;useinbandfec=1")
        #expect(audio.headerExtensions.map(\.id) == [1, 2, 3])
        #expect(audio.bandwidths.isEmpty)
    }

    @Test func aStageLeftOutIsNotAdvertised() {
        var codecs = RTCRtpCodecRegistry.tincan
        codecs.stages.remb = nil
        let video = codecs.capabilities(for: .video, direction: .sendrecv)
        #expect(!video.codecs[0].feedback.contains(.remb))
        // abs-send-time is the REMB estimator's: without it no stage reads it.
        #expect(video.headerExtensions.map(\.id) == [1, 3])
    }

    @Test func anotherCodecIsOneRegistration() throws {
        var codecs = RTCRtpCodecRegistry.tincan
        // VP8's parts under another name: what is checked is the registry, not a VP9 encoder.
        let vp8 = RTCRtpCodecRegistration.vp8
        codecs.register(RTCRtpCodecRegistration(
            kind: .video, codec: RTPCodec(payloadType: 98, name: "VP9", clockRate: 90000), rtxPayloadType: 99,
            makeEncoder: vp8.makeEncoder, makePacketizer: vp8.makePacketizer, depacketizer: vp8.depacketizer,
            makeDecoder: vp8.makeDecoder))
        let video = codecs.capabilities(for: .video, direction: .sendrecv)
        #expect(video.codecs.map(\.payloadType) == [96, 97, 98, 99])
        #expect(video.codecs[3].apt == 98)
        #expect(video.codecs[2].feedback == video.codecs[0].feedback)
        let negotiated = RTPStreamParameters(kind: .video, mid: "0", ssrc: 1, payloadType: 120, codecName: "vp9", clockRate: 90000)
        #expect(codecs.codec(for: negotiated)?.codec.payloadType == 98)
    }

    @Test func aNegotiatedCodecIsFoundByNameAndClockRate() {
        let codecs = RTCRtpCodecRegistry.tincan
        let opus = RTPStreamParameters(kind: .audio, mid: "1", ssrc: 1, payloadType: 109, codecName: "OPUS", clockRate: 48000, channels: 2)
        #expect(codecs.codec(for: opus)?.codec.name == "opus")
        var narrow = opus
        narrow.clockRate = 8000
        #expect(codecs.codec(for: narrow) == nil)
        var wrongKind = opus
        wrongKind.kind = .video
        #expect(codecs.codec(for: wrongKind) == nil)
    }
}
