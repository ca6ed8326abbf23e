import MediaPrimitives

/// The Ogg Opus identification header (RFC 7845 §5.1), channel mapping family 0 only
/// (mono or stereo, what WebRTC sends).
public struct OpusHead: Sendable, Equatable {
    public var channelCount: Int
    /// Samples at 48 kHz the player discards at the start (the encoder's lookahead).
    public var preSkip: Int
    /// The original input rate, informational only (Opus always decodes at 48 kHz here).
    public var inputSampleRate: Int
    /// Q7.8 dB gain to apply on output.
    public var outputGain: Int16

    public init(channelCount: Int, preSkip: Int, inputSampleRate: Int = 48_000, outputGain: Int16 = 0) {
        self.channelCount = channelCount
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.outputGain = outputGain
    }

    public var bytes: [UInt8] {
        var b = Array("OpusHead".utf8)
        b.append(1)  // version
        b.append(UInt8(channelCount))
        b.appendLittleEndian(UInt16(preSkip))
        b.appendLittleEndian(UInt32(inputSampleRate))
        b.appendLittleEndian(outputGain)
        b.append(0)  // mapping family 0: no mapping table
        return b
    }

    /// Parses and validates (RFC 7845 §5.1): magic, major version 0, channels, family 0.
    public init(parsing b: [UInt8]) throws(CodecError) {
        guard b.count >= 19, b[0..<8].elementsEqual("OpusHead".utf8) else { throw CodecError(codec: "Ogg Opus", "no OpusHead") }
        guard b[8] & 0xF0 == 0 else { throw CodecError(codec: "Ogg Opus", "OpusHead version \(b[8]) is not 0.x") }
        guard let skip = b.readLittleEndian(UInt16.self, at: 10), let rate = b.readLittleEndian(UInt32.self, at: 12),
              let gain = b.readLittleEndian(UInt16.self, at: 16) else { throw CodecError(codec: "Ogg Opus", "truncated OpusHead") }
        let channels = Int(b[9])
        guard b[18] == 0 else { throw CodecError(codec: "Ogg Opus", "channel mapping family \(b[18]) is not supported") }
        guard channels == 1 || channels == 2 else { throw CodecError(codec: "Ogg Opus", "\(channels) channels in mapping family 0") }
        self.init(channelCount: channels, preSkip: Int(skip), inputSampleRate: Int(rate), outputGain: Int16(bitPattern: gain))
    }
}

/// The Ogg Opus comment header (RFC 7845 §5.2).
public struct OpusTags: Sendable, Equatable {
    public var vendor: String
    public var comments: [String]

    public init(vendor: String, comments: [String] = []) {
        self.vendor = vendor
        self.comments = comments
    }

    public var bytes: [UInt8] {
        var b = Array("OpusTags".utf8)
        let v = Array(vendor.utf8)
        b.appendLittleEndian(UInt32(v.count)); b += v
        b.appendLittleEndian(UInt32(comments.count))
        for c in comments {
            let u = Array(c.utf8)
            b.appendLittleEndian(UInt32(u.count)); b += u
        }
        return b
    }

    /// Parses with every length checked against the packet.
    public init(parsing b: [UInt8]) throws(CodecError) {
        guard b.count >= 16, b[0..<8].elementsEqual("OpusTags".utf8) else { throw CodecError(codec: "Ogg Opus", "no OpusTags") }
        var offset = 8
        func string() throws(CodecError) -> String {
            guard let n = b.readLittleEndian(UInt32.self, at: offset), Int(n) <= b.count - offset - 4 else {
                throw CodecError(codec: "Ogg Opus", "OpusTags length runs past the packet")
            }
            let s = String(decoding: b[(offset + 4)..<(offset + 4 + Int(n))], as: UTF8.self)
            offset += 4 + Int(n)
            return s
        }
        let vendor = try string()
        guard let count = b.readLittleEndian(UInt32.self, at: offset), Int(count) <= (b.count - offset - 4) / 4 else {
            throw CodecError(codec: "Ogg Opus", "bad OpusTags comment count")
        }
        offset += 4
        var comments: [String] = []
        for _ in 0..<Int(count) { comments.append(try string()) }
        self.init(vendor: vendor, comments: comments)
    }
}
