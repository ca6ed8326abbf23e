import MediaCapture
import MediaCodecs
import MediaPrimitives
@testable import PeerConnection
import Synchronization
import Testing

/// The sender opens its encoder when the exchange settles the stream, not when DTLS connects
/// (`RTCRtpSender.openEncoderAhead`): libvpx's open is then off the way to the first frame.
@Suite(.serialized) struct EncoderOpenedAheadTests {
    final class Opens: Sendable {
        let times = Mutex<[UInt64]>([])
        /// Each open's `MediaEncoderRequest.onCaptureThread`.
        let onCaptureThread = Mutex<[Bool]>([])
    }

    /// VP8 as registered, with each encoder open recorded (CLOCK_MONOTONIC ns).
    static func countingVP8(_ opens: Opens) -> RTCRtpCodecRegistration {
        let vp8 = RTCRtpCodecRegistration.vp8
        return RTCRtpCodecRegistration(
            kind: vp8.kind, codec: vp8.codec, rtxPayloadType: vp8.rtxPayloadType,
            makeEncoder: { request throws(CodecError) in
                opens.times.withLock { $0.append(MonotonicClock.now()) }
                opens.onCaptureThread.withLock { $0.append(request.onCaptureThread) }
                return try vp8.makeEncoder(request)
            },
            makePacketizer: vp8.makePacketizer, depacketizer: vp8.depacketizer, makeDecoder: vp8.makeDecoder)
    }

    @Test("one VP8 encoder is opened, before the call connects, and it is the one that sends")
    func theEncoderOpensBeforeTheCallConnects() async throws {
        let stream = try await LoopbackCallTests.fakeStream(#"{"video": {"width": 640, "height": 480, "frameRate": {"ideal": 10, "max": 15}}}"#)
        defer { for t in stream.getTracks() { t.stop() } }
        let opens = Opens()
        var settings = RTCSettingEngine()
        settings.codecs = RTCRtpCodecRegistry(codecs: [Self.countingVP8(opens), .opus])
        let sender = try RTCPeerConnection(configuration: LoopbackCallTests.configuration(), settings: settings)
        let receiver = try RTCPeerConnection(configuration: LoopbackCallTests.configuration())
        for t in stream.getTracks() { try sender.addTrack(t) }
        let decoded = Mutex(0)
        let watch = Task {
            for await event in receiver.events {
                if case .track(let r, _) = event { r.addVideoSink { _ in decoded.withLock { $0 += 1 } } }
            }
        }
        let (_, answer) = try await LoopbackCallTests.offerAndAnswer(sender, receiver)
        try await sender.setRemoteDescription(answer)
        try await sender.waitUntilConnected(timeout: .seconds(10))
        // Frames flow (a bound, not a timer: the check is what arrived).
        for _ in 0..<300 where decoded.withLock({ $0 }) < 3 { try await Task.sleep(nanoseconds: 10_000_000) }
        let videoSender = try #require(sender.getSenders().first { $0.kind == "video" })
        #expect(videoSender.startedWithEncoderOpenedAhead, "start opened an encoder of its own")
        await sender.close()
        await receiver.close()
        watch.cancel()
        let times = opens.times.withLock { $0 }
        #expect(decoded.withLock { $0 } >= 3, "frames decoded")
        #expect(times.count == 1, "encoders opened: \(times.count)")
        // The synthetic camera leaves frames out while its thread is busy: VP8 encodes there.
        #expect(opens.onCaptureThread.withLock { $0 } == [true])
    }
}
