import MediaPrimitives

/// Writes VP8 and/or Opus as WebM (Matroska, https://www.webmproject.org/docs/container/):
/// EBML header, one Segment with Info and Tracks, then Clusters of SimpleBlocks with 1 ms
/// timecodes from the capture clock. Each Cluster is written whole (with its size) when the
/// next starts: at a video keyframe or every 5 s. Segment size and Duration are patched on
/// close. No Cues: players read such files front to back. Frames must come in capture
/// order across tracks (interleaved as captured).
public final class WebMWriter {
    public let videoSize: (width: Int, height: Int)?
    public let audio: OpusHead?
    private let file: BinaryFile
    private var written = 0
    private var segmentSizeOffset = 0
    private var segmentDataStart = 0
    private var durationOffset = 0
    private var origin: UInt64?
    private var cluster: [UInt8] = []
    private var clusterTime: Int64 = 0
    private var lastTime: Int64 = 0
    public private(set) var blockCount = 0
    private var closed = false

    static let videoTrack: UInt8 = 1

    /// `video`: the VP8 picture size; `audio`: the Opus stream's header (channels, pre-skip).
    public init(path: String, video: (width: Int, height: Int)?, audio: OpusHead?) throws(MediaFileError) {
        guard video != nil || audio != nil else { throw MediaFileError(path: path, "WebM needs a video or an audio track") }
        videoSize = video
        self.audio = audio
        file = try BinaryFile(path: path, mode: "wb")

        try put(EBML.element(0x1A45DFA3, EBML.uint(0x4286, 1) + EBML.uint(0x42F7, 1) + EBML.uint(0x42F2, 4)
            + EBML.uint(0x42F3, 8) + EBML.string(0x4282, "webm") + EBML.uint(0x4287, 4) + EBML.uint(0x4285, 2)))
        try put(EBML.id(0x18538067))
        segmentSizeOffset = written
        try put(EBML.size8(EBML.unknownSize))
        segmentDataStart = written

        let infoBody = EBML.uint(0x2AD7B1, 1_000_000) + EBML.string(0x4D80, "Tincan") + EBML.string(0x5741, "Tincan")
        let infoHeader = EBML.id(0x1549A966) + EBML.size8(UInt64(infoBody.count + 11))
        durationOffset = written + infoHeader.count + infoBody.count + 3
        try put(infoHeader + infoBody + EBML.id(0x4489) + EBML.size(8) + EBML.float(0))

        var tracks: [UInt8] = []
        var number: UInt64 = 1
        if let video {
            tracks += EBML.element(0xAE, EBML.uint(0xD7, number) + EBML.uint(0x73C5, number) + EBML.uint(0x83, 1)
                + EBML.uint(0x9C, 0) + EBML.string(0x86, "V_VP8")
                + EBML.element(0xE0, EBML.uint(0xB0, UInt64(video.width)) + EBML.uint(0xBA, UInt64(video.height))))
            number += 1
        }
        if let audio {
            // CodecDelay is the pre-skip in ns; SeekPreRoll 80 ms (the WebM Opus mapping).
            tracks += EBML.element(0xAE, EBML.uint(0xD7, number) + EBML.uint(0x73C5, number) + EBML.uint(0x83, 2)
                + EBML.uint(0x9C, 0) + EBML.string(0x86, "A_OPUS") + EBML.element(0x63A2, audio.bytes)
                + EBML.uint(0x56AA, UInt64(audio.preSkip) * 1_000_000_000 / 48_000) + EBML.uint(0x56BB, 80_000_000)
                + EBML.element(0xE1, EBML.float(0xB5, 48_000) + EBML.uint(0x9F, UInt64(audio.channelCount))))
        }
        try put(EBML.element(0x1654AE6B, tracks))
    }

    private var audioTrack: UInt8 { videoSize == nil ? 1 : 2 }

    private func put(_ bytes: [UInt8]) throws(MediaFileError) {
        try file.write(bytes)
        written += bytes.count
    }

    public func write(_ frame: EncodedVideoFrame) throws(MediaFileError) {
        guard videoSize != nil else { throw MediaFileError(path: file.path, "this WebM file has no video track") }
        try addBlock(track: Self.videoTrack, timestamp: frame.timestamp, keyframe: frame.isKeyframe, data: frame.data, startsCluster: frame.isKeyframe)
    }

    public func write(_ frame: EncodedAudioFrame) throws(MediaFileError) {
        guard audio != nil else { throw MediaFileError(path: file.path, "this WebM file has no audio track") }
        try addBlock(track: audioTrack, timestamp: frame.timestamp, keyframe: true, data: frame.data, startsCluster: false)
    }

    private func addBlock(track: UInt8, timestamp: UInt64, keyframe: Bool, data: [UInt8], startsCluster: Bool) throws(MediaFileError) {
        guard !closed else { throw MediaFileError(path: file.path, "writer is closed") }
        let first = origin ?? timestamp
        origin = first
        let ms = Int64(timestamp >= first ? (timestamp - first) / 1_000_000 : 0)
        if cluster.isEmpty || (startsCluster && ms > clusterTime) || ms - clusterTime >= 5000 || ms < clusterTime - 30000 {
            try flushCluster()
            clusterTime = ms
            cluster = EBML.uint(0xE7, UInt64(ms))
        }
        let relative = Int16(clamping: ms - clusterTime)
        var block: [UInt8] = [0x80 | track, UInt8(truncatingIfNeeded: UInt16(bitPattern: relative) >> 8),
                              UInt8(truncatingIfNeeded: UInt16(bitPattern: relative)), keyframe ? 0x80 : 0x00]
        block += data
        cluster += EBML.element(0xA3, block)
        lastTime = max(lastTime, ms)
        blockCount += 1
    }

    private func flushCluster() throws(MediaFileError) {
        guard !cluster.isEmpty else { return }
        try put(EBML.element(0x1F43B675, cluster))
        cluster = []
    }

    /// Writes the last Cluster, patches Segment size and Duration, and closes the file.
    public func close() throws(MediaFileError) {
        guard !closed else { return }
        closed = true
        try flushCluster()
        let segmentSize = UInt64(written - segmentDataStart)
        try file.seek(to: segmentSizeOffset)
        try file.write(EBML.size8(segmentSize))
        try file.seek(to: durationOffset)
        try file.write(EBML.floatBytes(Double(lastTime)))
        try file.close()
    }
}

/// EBML encoding (RFC 8794): element IDs with their marker bits, sizes as variable-length
/// integers, big-endian payloads.
enum EBML {
    static let unknownSize: UInt64 = 0x00FF_FFFF_FFFF_FFFF

    static func id(_ id: UInt32) -> [UInt8] {
        let n = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1
        return (0..<n).reversed().map { UInt8(truncatingIfNeeded: id >> (8 * $0)) }
    }

    /// An 8-byte size (0x01 marker then 56 bits), so a size can be patched in place.
    static func size8(_ size: UInt64) -> [UInt8] {
        [0x01] + (0..<7).reversed().map { UInt8(truncatingIfNeeded: size >> (8 * $0)) }
    }

    /// The shortest size vint that holds `size` (all-ones values are reserved for "unknown").
    static func size(_ size: Int) -> [UInt8] {
        var length = 1
        while length < 8 && UInt64(size) >= (UInt64(1) << (7 * length)) - 1 { length += 1 }
        let marked = UInt64(size) | (UInt64(1) << (7 * length))
        return (0..<length).reversed().map { UInt8(truncatingIfNeeded: marked >> (8 * $0)) }
    }

    static func element(_ id: UInt32, _ payload: [UInt8]) -> [UInt8] { self.id(id) + size(payload.count) + payload }

    static func uint(_ id: UInt32, _ value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        var v = value
        repeat {
            bytes.insert(UInt8(truncatingIfNeeded: v), at: 0)
            v >>= 8
        } while v > 0
        return element(id, bytes)
    }

    static func string(_ id: UInt32, _ value: String) -> [UInt8] { element(id, Array(value.utf8)) }

    static func floatBytes(_ value: Double) -> [UInt8] {
        let bits = value.bitPattern
        return (0..<8).reversed().map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
    }

    static func float(_ id: UInt32, _ value: Double) -> [UInt8] { element(id, floatBytes(value)) }
    static func float(_ value: Double) -> [UInt8] { floatBytes(value) }
}
