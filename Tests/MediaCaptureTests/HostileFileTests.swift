import MediaPrimitives
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import MediaCapture

/// Hostile and broken input files: limits whose errors name the field,
/// memory that follows what a file really holds, and pacing that stops at once.
@Suite struct HostileFileTests {
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = temporaryDirectory() + "/" + name
        let f = try BinaryFile(path: path, mode: "wb")
        try f.write(bytes)
        try f.close()
        return path
    }

    func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch let e as MediaFileError { return e.message } catch let e as MediaStreamError { return e.message } catch { return "\(error)" }
        return nil
    }

    @Test("BinaryFile.read allocates what a short file holds, not what the caller asks for")
    func readFollowsTheFile() throws {
        let path = try write(Array("0123456789".utf8), "short.bin")
        let f = try BinaryFile(path: path, mode: "rb")
        let bytes = try f.read(64 << 20)
        #expect(bytes == Array("0123456789".utf8))
        #expect(bytes.capacity < 1 << 20, "a 10-byte file took a \(bytes.capacity)-byte buffer")
        let samples = try BinaryFile(path: path, mode: "rb").read(32 << 20, of: Int16.self)
        #expect(samples.count == 5 && samples.capacity < 1 << 20)
    }

    @Test("A 10-byte Y4M declaring 16384x16384 is refused naming the width and the limit")
    func y4mTooLarge() throws {
        let path = try write(Array("YUV4MPEG2 W16384 H16384 F30:1\n".utf8), "big.y4m")
        let m = message { _ = try Y4MReader(path: path) }
        #expect(m?.contains("width W16384") == true && m?.contains("8192") == true, "\(m ?? "no error")")
    }

    @Test("A Y4M with a header and no complete frame is refused when opened, before any frame is allocated")
    func y4mShort() throws {
        let path = try write(Array("YUV4MPEG2 W8192 H8192 F30:1\nFRAME\n0123".utf8), "short.y4m")
        let m = message { _ = try Y4MFileCamera(path: path) }
        #expect(m?.contains("holds no complete frame") == true, "\(m ?? "no error")")
        #expect(m?.contains("100663302 bytes") == true, "\(m ?? "")")
    }

    @Test("Y4M frame rates outside 0.1-1000 fps are refused naming the F field", arguments: ["F1:1000000", "F1000000:1", "F0:1", "F1:0"])
    func y4mFrameRate(_ field: String) throws {
        let path = try write(Array("YUV4MPEG2 W16 H16 \(field)\nFRAME\n".utf8) + [UInt8](repeating: 0, count: 384), "rate.y4m")
        let m = message { _ = try Y4MReader(path: path) }
        #expect(m?.contains(field) == true, "\(m ?? "no error")")
    }

    @Test("A Y4M camera at 0.1 fps stops at once: the wait for the next frame is cut short")
    func pacingIsInterruptible() async throws {
        let path = try write(Array("YUV4MPEG2 W16 H16 F1:10\nFRAME\n".utf8) + [UInt8](repeating: 0, count: 384), "slow.y4m")
        let cam = try Y4MFileCamera(path: path)
        #expect(cam.modes[0].frameRate == 0.1)
        let (frames, continuation) = AsyncStream.makeStream(of: UInt64.self)
        let session = try cam.start(mode: cam.modes[0], onFrame: { continuation.yield($0.timestamp) }, onEnd: { _ in })
        var it = frames.makeAsyncIterator()
        #expect(await it.next() != nil)  // the first frame comes at once, the next in 10 s
        let start = MonotonicClock.now()
        session.stop()
        let waited = Double(MonotonicClock.now() - start) / 1e9
        #expect(waited < 0.5, "stop() took \(waited) s")
        #expect(cam.openSessionCount == 0)
    }

    @Test("WAV: channel counts past 32 are refused naming the field; a data chunk claiming 4 GB reads what is there")
    func wav() throws {
        func wavBytes(channels: UInt16, dataSize: UInt32, samples: Int) -> [UInt8] {
            var h = Array("RIFF".utf8); h.appendLittleEndian(UInt32(36 + samples * 2))
            h += Array("WAVEfmt ".utf8); h.appendLittleEndian(UInt32(16)); h.appendLittleEndian(UInt16(1))
            h.appendLittleEndian(channels); h.appendLittleEndian(UInt32(48000)); h.appendLittleEndian(UInt32(96000 * UInt32(channels)))
            h.appendLittleEndian(UInt16(2 * channels)); h.appendLittleEndian(UInt16(16))
            h += Array("data".utf8); h.appendLittleEndian(dataSize)
            for i in 0..<samples { h.appendLittleEndian(Int16(i)) }
            return h
        }
        let many = try write(wavBytes(channels: 33, dataSize: 66, samples: 33), "many.wav")
        let m = message { _ = try WAVReader(path: many) }
        #expect(m?.contains("channels 33") == true && m?.contains("1-32") == true, "\(m ?? "no error")")
        let claims = try write(wavBytes(channels: 2, dataSize: 0xFFFF_FFF0, samples: 8), "claims.wav")
        let r = try WAVReader(path: claims)
        #expect(r.samples == (0..<8).map { Int16($0) })
        #expect(r.samples.capacity < 1 << 20)
        let streaming = try write(wavBytes(channels: 1, dataSize: 0xFFFF_FFFF, samples: 5), "stream.wav")
        #expect(try WAVReader(path: streaming).samples.count == 5)
        // scripts/fuzz wav: a stereo data chunk cut after 5 samples keeps its 2 whole frames.
        let cut = try write(wavBytes(channels: 2, dataSize: 16, samples: 5), "cut.wav")
        #expect(try WAVReader(path: cut).samples.count == 4)
    }

    @Test("Devices file: a 1e6 Hz x 1e6-channel microphone is refused naming the field and the limit, before anything is allocated")
    func devicesFileAudioLimits() {
        let huge = #"[{"kind": "audioinput", "sampleRate": [1000000], "channelCount": [1000000]}]"#
        let m = message { _ = try DeviceDescriptionFile(jsonText: huge) }
        #expect(m?.contains("devices[0].sampleRate") == true && m?.contains("384000") == true, "\(m ?? "no error")")
        let channels = #"[{"kind": "audioinput", "channelCount": [2, 1000000]}]"#
        let c = message { _ = try DeviceDescriptionFile(jsonText: channels) }
        #expect(c?.contains("devices[0].channelCount") == true && c?.contains("1-32") == true, "\(c ?? "no error")")
        let many = "[{\"kind\": \"audioinput\", \"sampleRate\": [\((0..<17).map { String(8000 + $0) }.joined(separator: ","))]}]"
        #expect(message { _ = try DeviceDescriptionFile(jsonText: many) }?.contains("devices[0].sampleRate holds 17 values") == true)
        let combos = "[{\"kind\": \"audioinput\", \"sampleRate\": [\((0..<16).map { String(8000 + $0) }.joined(separator: ","))], \"sampleSize\": [\((8..<24).map(String.init).joined(separator: ","))], \"channelCount\": [1, 2, 3]}]"
        #expect(message { _ = try DeviceDescriptionFile(jsonText: combos) }?.contains("6144 combinations") == true)
        // A default far outside Int's range is ignored, not a trap.
        let d = try? DeviceDescriptionFile(jsonText: #"[{"kind": "audioinput", "defaults": {"sampleRate": 1e300, "channelCount": -1e300}}]"#)
        #expect(d?.audioDevices.first?.defaultMode == AudioMode(sampleRate: 48000, channelCount: 1))
    }

    @Test("Devices file: camera sizes and rates past the limits name the mode and field")
    func devicesFileVideoLimits() {
        let wide = #"[{"kind": "videoinput", "modes": [{"width": 640, "height": 480, "frameRate": 30}, {"width": 16384, "height": 16384, "frameRate": 30}]}]"#
        let m = message { _ = try DeviceDescriptionFile(jsonText: wide) }
        #expect(m?.contains("devices[0].modes[1].width 16384") == true && m?.contains("8192") == true, "\(m ?? "no error")")
        let fast = #"[{"kind": "videoinput", "modes": [{"width": 640, "height": 480, "frameRate": 1000000}]}]"#
        #expect(message { _ = try DeviceDescriptionFile(jsonText: fast) }?.contains("devices[0].modes[0].frameRate") == true)
        let modes = "[{\"kind\": \"videoinput\", \"modes\": [\(Array(repeating: #"{"width": 64, "height": 48, "frameRate": 30}"#, count: 65).joined(separator: ","))]}]"
        #expect(message { _ = try DeviceDescriptionFile(jsonText: modes) }?.contains("holds 65 modes") == true)
    }

    @Test("Devices file over 4 MiB says so (not \"unterminated string\")")
    func devicesFileTooLarge() throws {
        let text = #"{"devices": [], "pad": ""# + String(repeating: "x", count: 5 << 20) + #""}"#
        let path = try write(Array(text.utf8), "big.json")
        let m = message { _ = try DeviceDescriptionFile(path: path) }
        #expect(m?.contains("larger than 4 MiB") == true, "\(m ?? "no error")")
    }

    @Test("The synthetic devices refuse modes past the limits with NotReadableError instead of allocating them")
    func syntheticDevicesRefuse() {
        let mic = SyntheticMicrophone(capabilities: AudioDeviceCapabilities(sampleRates: [1_000_000], channelCounts: [1_000_000]))
        #expect(throws: MediaStreamError.self) {
            _ = try mic.start(mode: mic.defaultMode, onFrame: { _ in }, onEnd: { _ in })
        }
        let cam = SyntheticCamera(modes: [VideoMode(width: 20000, height: 20000, frameRate: 30)])
        #expect(throws: MediaStreamError.self) {
            _ = try cam.start(mode: cam.modes[0], onFrame: { _ in }, onEnd: { _ in })
        }
    }
}
