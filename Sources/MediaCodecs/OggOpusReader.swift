import COgg
import MediaPrimitives

/// Reads Ogg Opus files (RFC 7845) through libogg: the first logical stream's OpusHead and
/// OpusTags, then its audio packets. Lost sync, a bad CRC, a hole in the packet sequence, a
/// truncated page or bad headers are errors, never traps. Owns its libogg states.
public final class OggOpusReader {
    public private(set) var head = OpusHead(channelCount: 1, preSkip: 0)
    public private(set) var tags = OpusTags(vendor: "")
    private let file: BinaryFile
    private var sync = ogg_sync_state()
    private var stream = ogg_stream_state()
    private var serial: Int32?
    private var pagesRead = 0
    public static let chunkSize = 65536

    public struct Packet: Sendable, Equatable {
        public var data: [UInt8]
        /// Set on the last packet of a page: samples from the stream start to its end.
        public var granulePosition: Int64?
        public var isEndOfStream: Bool
    }

    public init(path: String) throws(MediaFileError) {
        file = try BinaryFile(path: path, mode: "rb")
        ogg_sync_init(&sync)
        guard let first = try nextRawPacket() else { throw MediaFileError(path: path, "empty Ogg file") }
        do { head = try OpusHead(parsing: first.data) } catch { throw MediaFileError(path: path, error.description) }
        guard let second = try nextRawPacket() else { throw MediaFileError(path: path, "no OpusTags") }
        do { tags = try OpusTags(parsing: second.data) } catch { throw MediaFileError(path: path, error.description) }
    }

    deinit {
        ogg_sync_clear(&sync)
        if serial != nil { ogg_stream_clear(&stream) }
    }

    /// The next audio packet, nil at the end of the stream.
    public func nextPacket() throws(MediaFileError) -> Packet? {
        guard let p = try nextRawPacket() else { return nil }
        guard !p.data.isEmpty else { throw MediaFileError(path: file.path, "empty Opus packet") }
        return p
    }

    public func readAll() throws(MediaFileError) -> [Packet] {
        var packets: [Packet] = []
        while let p = try nextPacket() { packets.append(p) }
        return packets
    }

    private func nextRawPacket() throws(MediaFileError) -> Packet? {
        while true {
            if serial != nil {
                var packet = ogg_packet()
                let r = ogg_stream_packetout(&stream, &packet)
                if r == 1 {
                    let data = packet.bytes > 0 && packet.packet != nil
                        ? Array(UnsafeBufferPointer(start: packet.packet, count: packet.bytes)) : []
                    return Packet(data: data, granulePosition: packet.granulepos >= 0 ? packet.granulepos : nil,
                                  isEndOfStream: packet.e_o_s != 0)
                }
                if r < 0 { throw MediaFileError(path: file.path, "Ogg: hole in the packet sequence (lost page)") }
            }
            guard try nextPage() else { return nil }
        }
    }

    /// Feeds the next page of our stream into `stream`; false at a clean end of file.
    private func nextPage() throws(MediaFileError) -> Bool {
        while true {
            var page = ogg_page()
            let r = ogg_sync_pageout(&sync, &page)
            if r == 1 {
                pagesRead += 1
                if serial == nil {
                    guard ogg_page_bos(&page) != 0 else { throw MediaFileError(path: file.path, "Ogg: first page is not a beginning of stream") }
                    let s = ogg_page_serialno(&page)
                    guard ogg_stream_init(&stream, s) == 0 else { throw MediaFileError(path: file.path, "ogg_stream_init failed") }
                    serial = s
                }
                guard ogg_page_serialno(&page) == serial else { continue }  // another multiplexed stream
                guard ogg_stream_pagein(&stream, &page) == 0 else { throw MediaFileError(path: file.path, "Ogg: bad page") }
                return true
            }
            if r < 0 {
                throw MediaFileError(path: file.path, pagesRead == 0 ? "not an Ogg file" : "Ogg: lost sync or bad CRC after page \(pagesRead)")
            }
            let chunk = try file.read(Self.chunkSize)
            if chunk.isEmpty {
                if sync.fill > sync.returned { throw MediaFileError(path: file.path, "Ogg: truncated page at end of file") }
                if pagesRead == 0 { throw MediaFileError(path: file.path, "not an Ogg file") }
                return false
            }
            guard let buffer = ogg_sync_buffer(&sync, chunk.count) else { throw MediaFileError(path: file.path, "ogg_sync_buffer failed") }
            chunk.withUnsafeBytes { raw in
                guard let source = raw.baseAddress else { return }
                UnsafeMutableRawPointer(buffer).copyMemory(from: source, byteCount: raw.count)
            }
            ogg_sync_wrote(&sync, chunk.count)
        }
    }
}
