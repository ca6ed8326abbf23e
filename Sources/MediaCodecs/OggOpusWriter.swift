import COgg
import COpus
import MediaPrimitives

/// Writes Opus packets as an Ogg Opus file (RFC 7845) through libogg: OpusHead alone on the
/// first page, OpusTags on the second, then audio pages whose granule position counts 48 kHz
/// samples from the start of the stream, pre-skip included (§4). The last packet is held
/// back so it can carry end-of-stream. The one owner of its `ogg_stream_state`.
public final class OggOpusWriter {
    public let head: OpusHead
    private let file: BinaryFile
    private var stream = ogg_stream_state()
    private var granule: Int64 = 0
    private var packetNumber: Int64 = 0
    private var held: [UInt8]?
    private var packetsSincePage = 0
    public private(set) var packetCount = 0
    private var closed = false

    /// `preSkip` is the encoder's lookahead (`OpusEncoder.lookahead`; 312 for libopus VoIP).
    public init(path: String, channels: Int, preSkip: Int, vendor: String = "Tincan (libopus)",
                serialNumber: Int32 = Int32.random(in: 1...Int32.max)) throws(MediaFileError) {
        guard channels == 1 || channels == 2, (0...65535).contains(preSkip) else {
            throw MediaFileError(path: path, "Ogg Opus: \(channels) channels, pre-skip \(preSkip) unsupported")
        }
        head = OpusHead(channelCount: channels, preSkip: preSkip)
        file = try BinaryFile(path: path, mode: "wb")
        guard ogg_stream_init(&stream, serialNumber) == 0 else { throw MediaFileError(path: path, "ogg_stream_init failed") }
        try submit(head.bytes, bos: true, eos: false, granule: 0)
        try flush()
        try submit(OpusTags(vendor: vendor, comments: ["ENCODER=tincan"]).bytes, bos: false, eos: false, granule: 0)
        try flush()
    }

    deinit { ogg_stream_clear(&stream) }

    public func write(_ frame: EncodedAudioFrame) throws(MediaFileError) { try write(packet: frame.data) }

    /// Writes one Opus packet; its duration is read from its TOC byte.
    public func write(packet: [UInt8]) throws(MediaFileError) {
        guard !closed else { throw MediaFileError(path: file.path, "writer is closed") }
        guard OpusDecoder.frameCount(of: packet) != nil else { throw MediaFileError(path: file.path, "not an Opus packet (\(packet.count) bytes)") }
        if let previous = held { try emit(previous, eos: false) }
        held = packet
    }

    private func emit(_ packet: [UInt8], eos: Bool) throws(MediaFileError) {
        let samples = OpusDecoder.frameCount(of: packet) ?? 0
        granule += Int64(samples)
        try submit(packet, bos: false, eos: eos, granule: granule)
        packetCount += 1
        packetsSincePage += 1
        // Pages of at most one second keep a recording cut short playable up to the cut.
        if packetsSincePage * Int(max(1, samples)) >= 48_000 { try flush() } else { try pageOut() }
    }

    private func submit(_ bytes: [UInt8], bos: Bool, eos: Bool, granule: Int64) throws(MediaFileError) {
        var data = bytes
        let status: Int32 = data.withUnsafeMutableBufferPointer { buffer in
            var packet = ogg_packet(packet: buffer.baseAddress, bytes: buffer.count, b_o_s: bos ? 1 : 0, e_o_s: eos ? 1 : 0,
                                    granulepos: granule, packetno: packetNumber)
            return ogg_stream_packetin(&stream, &packet)
        }
        guard status == 0 else { throw MediaFileError(path: file.path, "ogg_stream_packetin failed") }
        packetNumber += 1
    }

    private func pageOut() throws(MediaFileError) {
        var page = ogg_page()
        while ogg_stream_pageout(&stream, &page) != 0 { try write(page) }
    }

    private func flush() throws(MediaFileError) {
        var page = ogg_page()
        while ogg_stream_flush(&stream, &page) != 0 { try write(page) }
        packetsSincePage = 0
    }

    private func write(_ page: ogg_page) throws(MediaFileError) {
        try file.write(Array(UnsafeBufferPointer(start: page.header, count: page.header_len)))
        try file.write(Array(UnsafeBufferPointer(start: page.body, count: page.body_len)))
    }

    /// Writes the held-back packet with end-of-stream set and closes the file.
    public func close() throws(MediaFileError) {
        guard !closed else { return }
        closed = true
        if let last = held { try emit(last, eos: true) }
        held = nil
        try flush()
        try file.close()
    }
}
