@testable import LinuxCapture
import MediaCapture
import Testing

@Suite("V4L2 pieces that need no camera (the camera itself is checked in the VM)")
struct V4L2Tests {
    @Test func stepwiseSizesAreSampledWithinTheRange() {
        let range = V4L2ModeList.SizeRange(
            minWidth: 16, maxWidth: 1920, stepWidth: 16, minHeight: 16, maxHeight: 1080, stepHeight: 8)
        let sizes = V4L2ModeList.sizes(in: range)
        #expect(sizes.first! == (16, 16))
        #expect(sizes.last! == (1920, 1080))
        #expect(sizes.contains { $0 == (640, 480) } && sizes.contains { $0 == (1280, 720) })
        #expect(!sizes.contains { $0.width > 1920 || $0.height > 1080 })
        // 960x540: 540 - 16 is not a multiple of 8... it is (524 is not): check the step rule.
        #expect(sizes.allSatisfy { ($0.width - 16) % 16 == 0 && ($0.height - 16) % 8 == 0 })
    }

    @Test func continuousIntervalsGiveCommonRatesAndTheExtremes() {
        // 1/60 s to 1/1 s.
        let rates = V4L2ModeList.rates(minInterval: (1, 60), maxInterval: (1, 1))
        #expect(rates.first == 1 && rates.last == 60)
        #expect(rates.contains(30) && rates.contains(25) && rates.contains(15))
        #expect(V4L2ModeList.rates(minInterval: (0, 30), maxInterval: (1, 1)).isEmpty)
    }

    @Test func frameRatesBecomeIntervalFractions() {
        #expect(V4L2ModeList.interval(forFrameRate: 12.5) == (2, 25))
        #expect(V4L2ModeList.interval(forFrameRate: 30) == (1, 30))
        #expect(V4L2ModeList.interval(forFrameRate: 25) == (1, 25))
        #expect(V4L2ModeList.interval(forFrameRate: 0) == (1, 30))
    }

    @Test func modesThatDifferOnlyInFormatMergeToThePreferredFormat() {
        let modes = V4L2ModeList.merge([
            VideoMode(width: 640, height: 480, frameRate: 30, pixelFormat: "MJPG"),
            VideoMode(width: 640, height: 480, frameRate: 30, pixelFormat: "YUYV"),
            VideoMode(width: 320, height: 240, frameRate: 30, pixelFormat: "MJPG"),
            VideoMode(width: 640, height: 480, frameRate: 15, pixelFormat: "YUYV"),
        ])
        #expect(modes == [
            VideoMode(width: 320, height: 240, frameRate: 30, pixelFormat: "MJPG"),
            VideoMode(width: 640, height: 480, frameRate: 15, pixelFormat: "YUYV"),
            VideoMode(width: 640, height: 480, frameRate: 30, pixelFormat: "YUYV"),
        ])
    }

    @Test func paddedI420RowsArePacked() {
        // 4x2 picture, rows 8 bytes apart (chroma rows 4 apart).
        let width = 4, height = 2, stride = 8
        var source = [UInt8](repeating: 0xEE, count: stride * height + 2 * (stride / 2))
        for r in 0..<height { for c in 0..<width { source[r * stride + c] = UInt8(r * 10 + c) } }
        source[stride * height] = 100; source[stride * height + 1] = 101
        source[stride * height + stride / 2] = 200; source[stride * height + stride / 2 + 1] = 201
        let packed = source.withUnsafeBytes {
            V4L2Stream.packI420($0, width: width, height: height, bytesPerLine: stride)
        }
        #expect(packed == [0, 1, 2, 3, 10, 11, 12, 13, 100, 101, 200, 201])
        let short = source.prefix(5).withUnsafeBytes {
            V4L2Stream.packI420(UnsafeRawBufferPointer(rebasing: $0[...]), width: width, height: height, bytesPerLine: stride)
        }
        #expect(short == nil)
    }

    @Test func nodesThatAreNotCamerasAreSkipped() {
        #expect(V4L2Camera.probe(path: "/dev/null") == nil)
        #expect(V4L2Camera.probe(path: "/nonexistent/video0") == nil)
    }

    @Test func openingAMissingNodeRejectsWithNotReadableError() {
        let camera = V4L2Camera(
            path: "/nonexistent/video7", deviceId: "x", groupId: "g", label: "Gone Cam", facingMode: nil,
            modes: [VideoMode(width: 640, height: 480, frameRate: 30)], busInfo: "", driver: "")
        do {
            _ = try camera.start(mode: camera.modes[0], onFrame: { _ in }, onEnd: { _ in })
            Issue.record("opened a missing node")
        } catch {
            #expect(error.name == .notReadableError)
            #expect(error.message.contains("Gone Cam"))
        }
    }

    @Test func busyAndPermissionErrorsSaySo() {
        let busy = V4L2Stream.openError(EBUSY, step: "VIDIOC_S_FMT", path: "/dev/video0", label: "Cam")
        #expect(busy.name == .notReadableError && busy.message.contains("in use") && busy.message.contains("Cam"))
        let denied = V4L2Stream.openError(EACCES, step: "open", path: "/dev/video0", label: "Cam")
        #expect(denied.name == .notReadableError && denied.message.contains("permission denied"))
    }

    @Test func enumerationWithoutDevicesIsEmptyNotAnError() {
        _ = FileMicrophoneFixture.directory
        let devices = LinuxDevices.enumerate()
        let nodes = V4L2Camera.videoNodes()
        if nodes.isEmpty { #expect(devices.video.isEmpty) }
        #expect(devices.video.count <= nodes.count)
    }
}

@Suite("Identifiers and tone measurement")
struct IdentityAndToneTests {
    @Test func fnv1aMatchesItsReferenceVectors() {
        // FNV-1a 64-bit test vectors (draft-eastlake-fnv, appendix C).
        #expect(DeviceIdentity.hash("") == "cbf29ce484222325")
        #expect(DeviceIdentity.hash("a") == "af63dc4c8601ec8c")
        #expect(DeviceIdentity.hash("foobar") == "85944171f73967e8")
    }

    @Test func usbInterfacesOfOneDeviceShareAPath() {
        let camera = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0"
        let mic = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.3"
        #expect(DeviceIdentity.stripUSBInterface(camera) == DeviceIdentity.stripUSBInterface(mic))
        #expect(DeviceIdentity.stripUSBInterface(camera) == "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-4")
        #expect(DeviceIdentity.stripUSBInterface("/sys/devices/platform/vivid.0") == "/sys/devices/platform/vivid.0")
        #expect(DeviceIdentity.stripUSBInterface("/sys/devices/pci0000:00/0000:00:1f.3") == "/sys/devices/pci0000:00/0000:00:1f.3")
    }

    @Test func toneFrequencyIsMeasuredPrecisely() {
        let tone = ToneFrequency.sine(frequency: 441.5, sampleRate: 48000, channelCount: 1, frames: 48000)
        let f = ToneFrequency.estimate(tone, sampleRate: 48000)
        #expect(f.map { abs($0 - 441.5) < 0.05 } == true)
        #expect(ToneFrequency.estimate([Int16](repeating: 0, count: 1000), sampleRate: 48000) == nil)
        #expect(ToneFrequency.rms([Int16](repeating: 0, count: 10)) == 0)
        #expect(ToneFrequency.rms(tone) > 8000)
    }
}

#if canImport(Glibc)
import Glibc
#endif
