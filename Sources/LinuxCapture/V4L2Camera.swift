import CV4L2
import MediaCapture
import MediaPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// A V4L2 capture device (`/dev/videoN`), opened through libv4l2 so that whatever the
/// hardware sends (MJPEG, YUYV, NV12, ...) arrives converted to I420.
public struct V4L2Camera: VideoCaptureDevice {
    public let path: String
    public let deviceId: String
    public let groupId: String
    public let label: String
    public let facingMode: String?
    public let modes: [VideoMode]
    public let resizeModes: [String] = ["none", "crop-and-scale"]
    /// VIDIOC_QUERYCAP's bus_info ("usb-0000:00:14.0-1", "platform:vivid-000").
    public let busInfo: String
    /// VIDIOC_QUERYCAP's driver name ("uvcvideo", "vivid").
    public let driver: String

    public init(
        path: String, deviceId: String, groupId: String, label: String, facingMode: String?,
        modes: [VideoMode], busInfo: String, driver: String
    ) {
        self.path = path
        self.deviceId = deviceId
        self.groupId = groupId
        self.label = label
        self.facingMode = facingMode
        self.modes = modes
        self.busInfo = busInfo
        self.driver = driver
    }

    /// Probes one node; nil when it is not a streaming video capture device (metadata,
    /// output, radio, codec nodes) or cannot be opened.
    public static func probe(path: String) -> V4L2Camera? {
        // Plain open + ioctl: libv4l2 passes ioctls on fds it does not manage straight to the
        // kernel, so enumeration sees only native formats, not libv4l2's emulated ones.
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var cap = v4l2_capability()
        guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_QUERYCAP, &cap) == 0 else { return nil }
        let caps = (cap.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS)) != 0 ? cap.device_caps : cap.capabilities
        guard caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0, caps & UInt32(V4L2_CAP_STREAMING) != 0 else {
            return nil
        }
        let card = CText.string(fromTuple: cap.card)
        let busInfo = CText.string(fromTuple: cap.bus_info)
        let driver = CText.string(fromTuple: cap.driver)
        let modes = V4L2ModeList.merge(enumerateModes(fd: fd))
        guard !modes.isEmpty else { return nil }

        let node = path.split(separator: "/").last.map(String.init) ?? path
        let physical = DeviceIdentity.physicalDevicePath(sysfsClassDevice: "/sys/class/video4linux/\(node)")
        // Several capture nodes on one bus position are told apart by their card name.
        let deviceId = DeviceIdentity.hash("v4l2|\(driver)|\(busInfo)|\(card)")
        let groupId = DeviceIdentity.hash("group|" + (physical ?? busInfo))
        return V4L2Camera(
            path: path, deviceId: deviceId, groupId: groupId, label: card,
            facingMode: facingMode(fd: fd), modes: modes, busInfo: busInfo, driver: driver)
    }

    /// Every capture node under /dev, in node order.
    public static func enumerate() -> [V4L2Camera] {
        var cameras: [V4L2Camera] = []
        var seenIds: Set<String> = []
        for path in videoNodes() {
            guard let camera = probe(path: path), !seenIds.contains(camera.deviceId) else { continue }
            seenIds.insert(camera.deviceId)
            cameras.append(camera)
        }
        return cameras
    }

    /// The /dev/videoN nodes present, in number order (capture or not).
    public static func videoNodes() -> [String] {
        guard let dir = opendir("/dev") else { return [] }
        defer { closedir(dir) }
        var numbers: [Int] = []
        while let entry = readdir(dir) {
            let name = CText.string(fromTuple: entry.pointee.d_name)
            guard name.hasPrefix("video"), let n = Int(name.dropFirst(5)) else { continue }
            numbers.append(n)
        }
        return numbers.sorted().map { "/dev/video\($0)" }
    }

    /// V4L2_CID_CAMERA_ORIENTATION (Linux 5.9+): front is "user", back is "environment";
    /// external cameras and drivers that do not say give nil.
    static func facingMode(fd: Int32) -> String? {
        var control = v4l2_control()
        control.id = TINCAN_V4L2_CID_CAMERA_ORIENTATION
        guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_G_CTRL, &control) == 0 else { return nil }
        switch control.value {
        case 0: return "user"
        case 1: return "environment"
        default: return nil
        }
    }

    static func enumerateModes(fd: Int32) -> [VideoMode] {
        var modes: [VideoMode] = []
        var index: UInt32 = 0
        while index < 512 {
            var desc = v4l2_fmtdesc()
            desc.index = index
            desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_ENUM_FMT, &desc) == 0 else { break }
            index += 1
            let compressed = desc.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0
            // libv4lconvert decodes (M)JPEG; other compressed formats (H.264, ...) it cannot.
            if compressed && desc.pixelformat != TINCAN_V4L2_PIX_FMT_MJPEG
                && desc.pixelformat != TINCAN_V4L2_PIX_FMT_JPEG
            {
                continue
            }
            let name = CText.fourCC(desc.pixelformat)
            var sizes = frameSizes(fd: fd, pixelFormat: desc.pixelformat)
            // Drivers without ENUM_FRAMESIZES still have the size they are set to.
            if sizes.isEmpty, let current = currentSize(fd: fd) { sizes = [current] }
            for size in sizes {
                for rate in frameRates(fd: fd, pixelFormat: desc.pixelformat, width: size.width, height: size.height) {
                    modes.append(VideoMode(width: size.width, height: size.height, frameRate: rate, pixelFormat: name))
                }
            }
        }
        return modes
    }

    static func currentSize(fd: Int32) -> (width: Int, height: Int)? {
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_G_FMT, &format) == 0,
            format.fmt.pix.width > 0, format.fmt.pix.height > 0
        else { return nil }
        return (Int(format.fmt.pix.width), Int(format.fmt.pix.height))
    }

    static func frameSizes(fd: Int32, pixelFormat: UInt32) -> [(width: Int, height: Int)] {
        var sizes: [(width: Int, height: Int)] = []
        var index: UInt32 = 0
        while index < 256 {
            var size = v4l2_frmsizeenum()
            size.index = index
            size.pixel_format = pixelFormat
            guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_ENUM_FRAMESIZES, &size) == 0 else { break }
            index += 1
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                sizes.append((Int(size.discrete.width), Int(size.discrete.height)))
            } else {
                let s = size.stepwise
                let range = V4L2ModeList.SizeRange(
                    minWidth: Int(s.min_width), maxWidth: Int(s.max_width), stepWidth: Int(s.step_width),
                    minHeight: Int(s.min_height), maxHeight: Int(s.max_height), stepHeight: Int(s.step_height))
                sizes.append(contentsOf: V4L2ModeList.sizes(in: range))
                break  // a stepwise/continuous answer is the only entry (index 0)
            }
        }
        return sizes
    }

    static func frameRates(fd: Int32, pixelFormat: UInt32, width: Int, height: Int) -> [Double] {
        var rates: [Double] = []
        var index: UInt32 = 0
        while index < 256 {
            var interval = v4l2_frmivalenum()
            interval.index = index
            interval.pixel_format = pixelFormat
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_ENUM_FRAMEINTERVALS, &interval) == 0 else { break }
            index += 1
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                let f = interval.discrete
                if f.numerator > 0 && f.denominator > 0 {
                    rates.append(Double(f.denominator) / Double(f.numerator))
                }
            } else {
                let s = interval.stepwise
                rates.append(contentsOf: V4L2ModeList.rates(
                    minInterval: (s.min.numerator, s.min.denominator),
                    maxInterval: (s.max.numerator, s.max.denominator)))
                break
            }
        }
        // A driver without ENUM_FRAMEINTERVALS still streams: assume the usual 30 fps.
        if rates.isEmpty && index == 0 { rates = [30] }
        return Array(Set(rates)).sorted()
    }

    public func start(
        mode: VideoMode,
        onFrame: @escaping @Sendable (VideoFrame) -> Void,
        onEnd: @escaping CaptureEndHandler
    ) throws(MediaStreamError) -> CaptureSession {
        let stream = try V4L2Stream.open(path: path, label: label, mode: mode)
        return try V4L2CaptureSession.start(stream: stream, label: label, onFrame: onFrame, onEnd: onEnd)
    }
}
