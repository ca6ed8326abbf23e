import CZlib
import Foundation

/// The text form an SDP takes to cross between two terminals by copy and paste.
///
/// The SDP is carried byte-exact (nothing is stripped or rewritten) as unpadded base64url,
/// cut into balanced chunks of at most `maxChunkLength` characters, one per line, far below
/// the 4095-byte line limit of a Linux terminal in canonical mode. Every line carries enough
/// to check itself and to tell which blob it belongs to:
///
///     TINCAN1 offer 3/7 5123 9f2a1b3c c3d4e5f6 <payload>
///
/// the format tag, the kind (`offer`/`answer`), the chunk number `i/n`, the SDP's length in
/// bytes, the CRC-32 of the whole SDP (the blob's identity), the CRC-32 of this line's
/// payload, then the payload. A missing, repeated, reordered, cut or changed line is named
/// in the error instead of turning into a broken call.
public enum CopyPasteBlob {
    public static let tag = "TINCAN1"
    public static let defaultChunkLength = 1000

    /// A checksum field: the CRC-32 (ISO-HDLC, zlib's `crc32_z`; "123456789" gives
    /// cbf43926) of `bytes` as 8 lowercase hex digits.
    static func crc32Hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let contiguous = Array(bytes)
        let crc = contiguous.withUnsafeBufferPointer { crc32_z(0, $0.baseAddress, z_size_t($0.count)) }
        let s = String(UInt32(truncatingIfNeeded: crc), radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }

    /// The lines of the blob for `sdp`.
    public static func encode(_ sdp: String, kind: String, maxChunkLength: Int = defaultChunkLength) -> [String] {
        let bytes = Array(sdp.utf8)
        let payload = Array(Base64URL.encode(bytes).utf8)
        let count = max(1, (payload.count + maxChunkLength - 1) / max(1, maxChunkLength))
        let chunkLength = chunkLengthFor(totalCharacters: payload.count, count: count)
        let whole = crc32Hex(bytes)
        return (0..<count).map { i in
            let start = min(payload.count, i * chunkLength), end = min(payload.count, start + chunkLength)
            let chunk = payload[start..<end]
            return "\(tag) \(kind) \(i + 1)/\(count) \(bytes.count) \(whole) \(crc32Hex(chunk)) \(String(decoding: chunk, as: UTF8.self))"
        }
    }

    /// Decodes a whole pasted text strictly: lines that are not blob lines are skipped, but
    /// any repeated, missing, reordered or damaged blob line is an error.
    public static func decode(_ text: String, expecting kind: String? = nil) throws -> (kind: String, sdp: String) {
        var assembler = ChunkAssembler(expecting: kind, allowRepeats: false)
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if case .complete(let kind, let sdp) = try assembler.add(line: String(line)) { return (kind, sdp) }
        }
        try assembler.finish()
        throw SignalingError.blob("no \(tag) lines found in the input: paste the lines that start with \(tag)")
    }

    /// Unpadded base64url of `bytes` bytes has this many characters.
    static func base64Length(bytes: Int) -> Int { (bytes * 4 + 2) / 3 }

    /// Balanced chunks: every chunk but the last has exactly this many characters.
    static func chunkLengthFor(totalCharacters: Int, count: Int) -> Int {
        max(1, (totalCharacters + count - 1) / max(1, count))
    }
}

/// Collects blob lines one at a time (as they are pasted) and names the first problem.
/// Only the next expected chunk is accepted, so a line out of order is reported at once and
/// the person can paste from the missing line on.
public struct ChunkAssembler: Sendable {
    public enum Progress: Sendable, Equatable {
        /// Not a blob line (a prompt, an empty line, other text).
        case ignored
        /// Chunk `index` of `count` was accepted.
        case accepted(index: Int, count: Int)
        /// A chunk already accepted was pasted again, identical (harmless).
        case repeated(index: Int, count: Int)
        /// The last chunk arrived and everything checks out.
        case complete(kind: String, sdp: String)
    }

    private struct Header: Equatable {
        var kind: String
        var count: Int
        var bytes: Int
        var crc: String
    }

    private let expectedKind: String?
    private let allowRepeats: Bool
    private var header: Header?
    private var chunks: [String] = []
    private var lineNumber = 0

    /// `allowRepeats`: an identical repeat of an accepted chunk is reported as `.repeated`
    /// instead of an error (interactive pasting, where a person pastes everything again).
    public init(expecting kind: String? = nil, allowRepeats: Bool = true) {
        self.expectedKind = kind
        self.allowRepeats = allowRepeats
    }

    /// The chunk expected next (1-based), and the count once known.
    public var next: (index: Int, count: Int?) { (chunks.count + 1, header?.count) }

    /// Forgets everything (a new blob starts).
    public mutating func reset() {
        header = nil
        chunks = []
    }

    public mutating func add(line rawLine: String) throws -> Progress {
        lineNumber += 1
        guard let start = rawLine.range(of: CopyPasteBlob.tag + " ") else { return .ignored }
        let line = rawLine[start.lowerBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 7 else {
            throw SignalingError.blob("line \(lineNumber): a \(CopyPasteBlob.tag) line has 7 fields separated by single spaces, this one has \(fields.count): it was cut or changed; copy it again")
        }
        let kind = String(fields[1])
        let position = fields[2].split(separator: "/", omittingEmptySubsequences: false)
        guard position.count == 2, let index = Int(position[0]), let count = Int(position[1]),
              count >= 1, count <= 100_000, index >= 1, index <= count,
              let bytes = Int(fields[3]), bytes >= 0, bytes <= 10_000_000,
              fields[4].count == 8, fields[5].count == 8,
              CopyPasteBlob.chunkLengthFor(totalCharacters: CopyPasteBlob.base64Length(bytes: bytes), count: count) * (count - 1) < max(1, CopyPasteBlob.base64Length(bytes: bytes)) || count == 1
        else {
            throw SignalingError.blob("line \(lineNumber): the header of this \(CopyPasteBlob.tag) line is damaged (\"\(fields.prefix(6).joined(separator: " "))\"); copy it again")
        }
        let label = "chunk \(index)/\(count)"
        if let expectedKind, kind != expectedKind {
            throw SignalingError.blob("\(label) is part of an \(kind), but an \(expectedKind) is expected here: paste the \(expectedKind) from the other terminal")
        }
        let this = Header(kind: kind, count: count, bytes: bytes, crc: String(fields[4]))
        if let header, header != this {
            if index == 1 && (allowRepeats || chunks.count == header.count) {
                // A new blob starts (pasting by hand: the other side made a new one).
                reset()
            } else {
                throw SignalingError.blob("\(label) belongs to another blob (its SDP checksum is \(this.crc), the lines before had \(header.crc)): paste only the lines of one blob, all of them, in order")
            }
        }
        let payload = String(fields[6])
        let total = CopyPasteBlob.base64Length(bytes: bytes)
        let chunkLength = CopyPasteBlob.chunkLengthFor(totalCharacters: total, count: count)
        let expectedLength = index < count ? chunkLength : total - chunkLength * (count - 1)
        if let bad = payload.utf8.firstIndex(where: { !Base64URL.isAlphabet($0) }) {
            let column = payload.utf8.distance(from: payload.utf8.startIndex, to: bad) + 1
            throw SignalingError.blob("\(label) is damaged: character \(column) of its payload is not base64url; copy the line again")
        }
        if payload.utf8.count != expectedLength {
            let how = payload.utf8.count < expectedLength ? "was cut" : "has extra characters"
            throw SignalingError.blob("\(label) \(how): its payload has \(payload.utf8.count) characters, \(expectedLength) expected; copy the whole line again (as one line, if the terminal wrapped it)")
        }
        if CopyPasteBlob.crc32Hex(payload.utf8) != fields[5] {
            throw SignalingError.blob("\(label) is damaged: its checksum does not match its content; copy the line again")
        }

        // Order: only the next chunk is taken.
        let expected = chunks.count + 1
        if index < expected {
            if allowRepeats && chunks[index - 1] == payload { return .repeated(index: index, count: count) }
            throw SignalingError.blob("\(label) appears twice: paste each line once")
        }
        if index > expected {
            let after = expected == 1 ? "it came first" : "it came right after chunk \(expected - 1)/\(count)"
            throw SignalingError.blob("chunk \(expected)/\(count) is missing or out of order: \(label) arrived but \(after); paste the lines from chunk \(expected)/\(count) on, in order")
        }
        header = this
        chunks.append(payload)
        guard chunks.count == count else { return .accepted(index: index, count: count) }

        guard let decoded = Base64URL.decode(chunks.joined()), decoded.count == bytes else {
            throw SignalingError.blob("the \(kind) does not decode to its \(bytes) bytes: copy the whole blob again")
        }
        guard CopyPasteBlob.crc32Hex(decoded) == this.crc else {
            throw SignalingError.blob("the \(kind)'s checksum does not match after joining the \(count) chunks: copy the whole blob again")
        }
        guard let sdp = String(validating: decoded, as: UTF8.self) else {
            throw SignalingError.blob("the \(kind) is not UTF-8 text")
        }
        return .complete(kind: kind, sdp: sdp)
    }

    /// Called at the end of the input: names what is still missing.
    public func finish() throws {
        guard let header else { return }
        if chunks.count < header.count {
            let missing = chunks.count + 1 == header.count ? "chunk \(header.count)/\(header.count) is missing"
                : "chunks \(chunks.count + 1)/\(header.count) to \(header.count)/\(header.count) are missing"
            throw SignalingError.blob("the input ended after chunk \(chunks.count)/\(header.count) of the \(header.kind): \(missing); copy the whole blob")
        }
    }
}
