import MediaCodecs
import RTP
import SDP

extension RTCRtpCodecRegistry {
    /// Tincan's codecs: VP8 (RFC 7741) with RTX (RFC 4588), Opus (RFC 7587), over the
    /// default pipeline.
    public static let tincan = RTCRtpCodecRegistry(codecs: [.vp8, .opus])
}

extension RTCRtpCodecRegistration {
    /// VP8 on 96, RTX on 97; payloads of at most 1100 bytes (room for SRTP and extensions
    /// under a 1200-byte MTU), a random first picture ID.
    public static let vp8 = RTCRtpCodecRegistration(
        kind: .video,
        codec: RTPCodec(payloadType: 96, name: "VP8", clockRate: 90000),
        rtxPayloadType: 97,
        makeEncoder: { request throws(CodecError) in
            let settings = request.settings
            var vc = VP8EncoderConfiguration(width: settings.width ?? 640, height: settings.height ?? 480,
                                             frameRate: settings.frameRate ?? 30)
            // The user's cap and the peer's b=TIAS/b=AS: the lower wins (both are payload rates).
            if let cap = [request.maxBitrate, request.parameters.remoteMaximumBitrate].compactMap({ $0 }).min() { vc.maxBitrate = cap }
            let need = min(VP8Encoder.defaultBitrate(width: vc.width, height: vc.height, frameRate: vc.frameRate), vc.maxBitrate)
            // Until the pipeline's first target: its start rate, as libwebrtc starts.
            let start = min(need, BitrateConstraints().start)
            vc.targetBitrate = start
            // On the camera's thread when it leaves frames out while busy (a paced fake camera):
            // the frame is still in cache and no thread wakes per frame; a V4L2 camera's frames
            // wait on the worker's queue, where the oldest is dropped when the encoder falls behind.
            let encoder = MediaStreamEncoder.make(
                try VP8Encoder(configuration: vc), inline: request.inline, capacity: 2, label: "tincan.vp8",
                runsOnCaller: request.onCaptureThread,
                input: { if case .video(let frame) = $0 { frame } else { nil } }, output: { .video($0) },
                frameDropping: { VP8Encoder.frameDropping($0) })
            return OpenedMediaEncoder(encoder: encoder, startBitrate: start, wireMaximum: need * 21 / 20,
                                      encoderMaximum: vc.maxBitrate, picture: (vc.width, vc.height, vc.frameRate))
        },
        makePacketizer: { VP8Packetizer(maxPayloadSize: 1100, initialPictureID: .random(in: 0...0x7FFF)) },
        depacketizer: VP8Depacketizer.self,
        makeDecoder: { _ throws(CodecError) in try VP8Decoder(threads: VP8Decoder.defaultThreads()) })

    /// Opus on 111, written `opus/48000/2` as Chromium requires (docs/interop.md), receiving
    /// 10 ms packets and in-band FEC.
    public static let opus = RTCRtpCodecRegistration(
        kind: .audio,
        codec: RTPCodec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                        parameters: FormatParameters([("minptime", "10"), ("useinbandfec", "1")])),
        makeEncoder: { request throws(CodecError) in
            let settings = request.settings
            guard settings.sampleRate == nil || settings.sampleRate == OpusEncoder.sampleRate else {
                throw CodecError(codec: "Opus", "the audio track runs at \(settings.sampleRate ?? 0) Hz; Opus over RTP needs 48000 Hz (ask for {\"sampleRate\": 48000})")
            }
            // FEC only for a peer whose decoder uses it (RFC 7587 §6.1); the loss it plans for
            // starts at none and follows the receiver reports (the sender's `followLoss`). The
            // peer's b=TIAS/b=AS caps the bitrate, within what Opus can do.
            var opus = OpusEncoderConfiguration(channelCount: settings.channelCount ?? 1, inbandFEC: request.parameters.opusInbandFEC,
                                                packetLossPercent: 0)
            if let cap = request.parameters.remoteMaximumBitrate { opus.bitrate = max(6000, min(opus.bitrate, cap)) }
            let encoder = MediaStreamEncoder.make(
                // On the microphone's thread: 0.2 ms of work per 20 ms does not pay for a
                // thread hop (and its wake-up) per 10 ms frame.
                try OpusEncoder(configuration: opus), inline: request.inline, capacity: 25, label: "tincan.opus", runsOnCaller: true,
                input: { if case .audio(let frame) = $0 { frame } else { nil } }, output: { .audio($0) },
                packetLoss: { percent, fec in
                    { (encoder: OpusEncoder) throws(CodecError) in try encoder.setInbandFEC(fec, packetLossPercent: percent) }
                })
            // Opus's rate with its headers: one packet per frame duration.
            let payload = max(1, opus.bitrate * opus.frameDuration / 8000)
            let wire = opus.bitrate * (payload + BitrateAllocation.headerBytesPerPacket) / payload
            return OpenedMediaEncoder(encoder: encoder, startBitrate: opus.bitrate, wireMaximum: wire,
                                      encoderMaximum: opus.bitrate)
        },
        makePacketizer: { OpusPacketizer() },
        depacketizer: OpusDepacketizer.self,
        makeDecoder: { channels throws(CodecError) in try OpusDecoder(channelCount: channels) })
}
