import CV4L2
import MediaCapture
import MediaPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// The one owner of an open, streaming V4L2 device: the libv4l2 fd and its mmap'ed ring of
/// buffers. Closing (or deinit) stops the stream, unmaps and closes, releasing the camera.
final class V4L2Stream {
    /// The frame geometry and rate the driver actually granted.
    let width: Int
    let height: Int
    let bytesPerLine: Int
    let frameRate: Double
    let fd: Int32
    private var buffers: [(start: UnsafeMutableRawPointer, length: Int)]
    private var isOpen = true
    let label: String
    /// The packed I420 frames handed on: reused once the track and the encoder let go.
    private var frames = VideoFramePool(count: 4)

    static let bufferCount: UInt32 = 4

    private init(
        fd: Int32, label: String, width: Int, height: Int, bytesPerLine: Int, frameRate: Double,
        buffers: [(start: UnsafeMutableRawPointer, length: Int)]
    ) {
        self.fd = fd
        self.label = label
        self.width = width
        self.height = height
        self.bytesPerLine = bytesPerLine
        self.frameRate = frameRate
        self.buffers = buffers
    }

    deinit { close() }

    func close() {
        guard isOpen else { return }
        isOpen = false
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        _ = tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_STREAMOFF, &type)
        for buffer in buffers { _ = v4l2_munmap(buffer.start, buffer.length) }
        buffers = []
        _ = v4l2_close(fd)
    }

    /// Maps errno from a step of opening to the error getUserMedia rejects with.
    static func openError(_ code: Int32, step: String, path: String, label: String) -> MediaStreamError {
        switch code {
        case EBUSY:
            return MediaStreamError(.notReadableError, "\(label) (\(path)) is in use by another application")
        case EACCES, EPERM:
            return MediaStreamError(.notReadableError, "permission denied opening \(path) (\(label))")
        case ENOENT, ENODEV, ENXIO:
            return MediaStreamError(.notReadableError, "\(label) (\(path)) is not present (\(step))")
        default:
            return MediaStreamError(.notReadableError, "\(label) (\(path)): \(step) failed: \(CText.errorText(code))")
        }
    }

    /// Opens `path` in `mode`: S_FMT to I420 (libv4l2 converts), S_PARM for the frame
    /// interval (drivers such as vivid otherwise stay at their default, e.g. 5 fps), then an
    /// mmap ring of `bufferCount` buffers, all queued, and STREAMON.
    static func open(path: String, label: String, mode: VideoMode) throws(MediaStreamError) -> V4L2Stream {
        let fd = tincan_v4l2_open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw openError(errno, step: "open", path: path, label: label) }
        var mapped: [(start: UnsafeMutableRawPointer, length: Int)] = []
        func fail(_ step: String) -> MediaStreamError {
            let code = errno
            for buffer in mapped { _ = v4l2_munmap(buffer.start, buffer.length) }
            _ = v4l2_close(fd)
            return openError(code, step: step, path: path, label: label)
        }

        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(mode.width)
        format.fmt.pix.height = UInt32(mode.height)
        format.fmt.pix.pixelformat = TINCAN_V4L2_PIX_FMT_YUV420
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_S_FMT, &format) == 0 else { throw fail("VIDIOC_S_FMT") }
        guard format.fmt.pix.pixelformat == TINCAN_V4L2_PIX_FMT_YUV420 else {
            _ = v4l2_close(fd)
            throw MediaStreamError(.notReadableError, "\(label) (\(path)): cannot deliver I420 (got \(CText.fourCC(format.fmt.pix.pixelformat)))")
        }
        let width = Int(format.fmt.pix.width)
        let height = Int(format.fmt.pix.height)
        let bytesPerLine = max(Int(format.fmt.pix.bytesperline), width)

        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        let interval = V4L2ModeList.interval(forFrameRate: mode.frameRate)
        parm.parm.capture.timeperframe.numerator = interval.numerator
        parm.parm.capture.timeperframe.denominator = interval.denominator
        var frameRate = mode.frameRate
        if tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_S_PARM, &parm) == 0 {
            let granted = parm.parm.capture.timeperframe
            if granted.numerator > 0 && granted.denominator > 0 {
                frameRate = Double(granted.denominator) / Double(granted.numerator)
            }
        } else if errno == EBUSY {
            throw fail("VIDIOC_S_PARM")
        }

        var request = v4l2_requestbuffers()
        request.count = bufferCount
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_REQBUFS, &request) == 0 else { throw fail("VIDIOC_REQBUFS") }
        guard request.count >= 2 else {
            errno = ENOMEM
            throw fail("VIDIOC_REQBUFS")
        }
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            buffer.index = index
            guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_QUERYBUF, &buffer) == 0 else { throw fail("VIDIOC_QUERYBUF") }
            let start = v4l2_mmap(nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, Int64(buffer.m.offset))
            guard let start, start != MAP_FAILED else { throw fail("mmap") }
            mapped.append((start, Int(buffer.length)))
            guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_QBUF, &buffer) == 0 else { throw fail("VIDIOC_QBUF") }
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_STREAMON, &type) == 0 else { throw fail("VIDIOC_STREAMON") }
        return V4L2Stream(
            fd: fd, label: label, width: width, height: height, bytesPerLine: bytesPerLine,
            frameRate: frameRate, buffers: mapped)
    }

    enum Dequeued {
        case frame(VideoFrame)
        case notReady
        case skipped
        case failed(Int32)
    }

    /// Takes one filled buffer (if any), copies it out as an I420 frame and queues it again.
    func dequeue() -> Dequeued {
        guard isOpen else { return .failed(EBADF) }
        var buffer = v4l2_buffer()
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        guard tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_DQBUF, &buffer) == 0 else {
            let code = errno
            return code == EAGAIN || code == EINTR ? .notReady : .failed(code)
        }
        defer { _ = tincan_v4l2_ioctl(fd, TINCAN_VIDIOC_QBUF, &buffer) }
        guard Int(buffer.index) < buffers.count, buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) == 0 else {
            return .skipped
        }
        let timestampKind = buffer.flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK)
        let timestamp: UInt64
        if timestampKind == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC), buffer.timestamp.tv_sec >= 0 {
            timestamp = UInt64(buffer.timestamp.tv_sec) * 1_000_000_000 + UInt64(buffer.timestamp.tv_usec) * 1000
        } else {
            timestamp = MonotonicClock.now()
        }
        let source = buffers[Int(buffer.index)]
        let used = min(Int(buffer.bytesused), source.length)
        let raw = UnsafeRawBufferPointer(start: source.start, count: used)
        guard Self.holdsI420(raw, width: width, height: height, bytesPerLine: bytesPerLine) else { return .skipped }
        // One copy out of the mmap'ed buffer (it goes back to the driver at once), into a
        // pooled frame.
        let (width, height, bytesPerLine) = (self.width, self.height, self.bytesPerLine)
        let frame = frames.makeFrame(width: width, height: height, timestamp: timestamp) { dst in
            _ = Self.packI420(raw, width: width, height: height, bytesPerLine: bytesPerLine, into: UnsafeMutableRawBufferPointer(dst))
        }
        return .frame(frame)
    }

    /// Whether `source` is long enough for an I420 image with luma rows `bytesPerLine` apart.
    static func holdsI420(_ source: UnsafeRawBufferPointer, width: Int, height: Int, bytesPerLine: Int) -> Bool {
        let ch = (height + 1) / 2
        let chromaStride = (bytesPerLine + 1) / 2
        if bytesPerLine == width { return source.count >= VideoFrame.byteCount(width: width, height: height) }
        return source.count >= bytesPerLine * height + 2 * chromaStride * ch
    }

    /// Copies an I420 image whose luma rows are `bytesPerLine` apart (chroma rows half that)
    /// into a tightly packed one; nil when the buffer is too short (a truncated frame).
    static func packI420(_ source: UnsafeRawBufferPointer, width: Int, height: Int, bytesPerLine: Int) -> [UInt8]? {
        guard holdsI420(source, width: width, height: height, bytesPerLine: bytesPerLine) else { return nil }
        var out = [UInt8](repeating: 0, count: VideoFrame.byteCount(width: width, height: height))
        _ = out.withUnsafeMutableBytes { packI420(source, width: width, height: height, bytesPerLine: bytesPerLine, into: $0) }
        return out
    }

    /// `packI420` into the caller's buffer of `VideoFrame.byteCount` bytes; false (nothing
    /// written) when the source is too short or the buffer too small.
    static func packI420(_ source: UnsafeRawBufferPointer, width: Int, height: Int, bytesPerLine: Int,
                         into dst: UnsafeMutableRawBufferPointer) -> Bool {
        let cw = (width + 1) / 2, ch = (height + 1) / 2
        let chromaStride = (bytesPerLine + 1) / 2
        let packedCount = VideoFrame.byteCount(width: width, height: height)
        guard dst.count >= packedCount, holdsI420(source, width: width, height: height, bytesPerLine: bytesPerLine) else { return false }
        if bytesPerLine == width {
            dst[0..<packedCount].copyBytes(from: source[0..<packedCount])
            return true
        }
        var d = 0
        for row in 0..<height {
            let s = row * bytesPerLine
            dst[d..<(d + width)].copyBytes(from: source[s..<(s + width)])
            d += width
        }
        for plane in 0..<2 {
            let base = bytesPerLine * height + plane * chromaStride * ch
            for row in 0..<ch {
                let s = base + row * chromaStride
                dst[d..<(d + cw)].copyBytes(from: source[s..<(s + cw)])
                d += cw
            }
        }
        return true
    }
}
