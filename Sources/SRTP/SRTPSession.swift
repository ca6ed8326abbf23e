import Synchronization

/// One SRTP session (RFC 3711 §3.2) for one direction of one DTLS-SRTP association, over
/// OpenSSL's libcrypto (EVP).
///
/// An outbound session protects every SSRC this endpoint sends, an inbound one unprotects
/// every SSRC the peer sends; it keeps a stream per SSRC (rollover counter and SRTP replay
/// list, SRTCP index and replay list), at most `maxStreams` of them. An inbound stream is
/// created only once a packet of its SSRC authenticates, so a forged packet leaves no state.
///
/// Thread-safety: every call takes the session's `Mutex`, so a session may be used from any
/// thread; calls on one session run one at a time. Use separate sessions (they are cheap)
/// for work that must run in parallel.
///
/// The per-packet path works in place in the caller's buffer and allocates nothing: give it
/// a buffer with `trailerCapacity` bytes of room after the packet.
///
/// Protected packets are byte-identical to libsrtp's for the same keys and input (the tests
/// compare them). Where it differs: the SRTCP replay list is 1024 indices (libsrtp's is
/// 128), RTP/RTCP version other than 2 is refused, no MKI, the stream bound, and no key
/// usage limits beyond the SRTCP index's 2^31.
public final class SRTPSession: Sendable {
    public enum Direction: Sendable { case outbound, inbound }

    /// Room to leave after a packet for protecting it. The longest trailer written is 20
    /// octets (GCM tag + SRTCP index); this stays at libsrtp's `SRTP_MAX_TRAILER_LEN` (tag
    /// and MKI, 144) + 4, the value callers' buffers were laid out with.
    public static let trailerCapacity = 16 + 128 + 4

    /// Replay window in packets, for SRTP and SRTCP alike (RFC 3711 §3.3.2 asks for at least
    /// 64; WebRTC stacks use 1024).
    public static let replayWindowSize = 1024

    /// The most SSRCs one session keeps state for; a packet of one more throws `.tooManyStreams`.
    public static let maxStreams = 256

    public let profile: SRTPProtectionProfile
    public let direction: Direction

    private struct State {
        var slots: [UInt32: Int] = [:]
        var streams: [StreamState] = []

        /// The stream of `ssrc`, created if new (outbound use: nothing to authenticate first).
        mutating func slot(creating ssrc: UInt32) throws(SRTPError) -> Int {
            if let slot = slots[ssrc] { return slot }
            return try add(ssrc, StreamState())
        }

        mutating func add(_ ssrc: UInt32, _ stream: StreamState) throws(SRTPError) -> Int {
            guard streams.count < SRTPSession.maxStreams else { throw .tooManyStreams(limit: SRTPSession.maxStreams) }
            streams.append(stream)
            slots[ssrc] = streams.count - 1
            return streams.count - 1
        }
    }

    /// The streams, behind the lock every call takes.
    private let state: Mutex<State>
    /// The keys' OpenSSL contexts. `nonisolated(unsafe)` because `PacketCrypto` is not
    /// thread-safe: every use is inside `state`'s lock, which is what makes this class `Sendable`.
    nonisolated(unsafe) private let crypto: PacketCrypto

    /// Creates a session from a master key and salt of the profile's lengths.
    ///
    /// Derives the session keys (RFC 3711 §4.3, RFC 7714 §11) and wipes them once OpenSSL
    /// holds them. Replay protection is on for inbound sessions; outbound sessions allow a
    /// sequence number to be protected again (libsrtp's `allow_repeat_tx`), since a
    /// retransmission of the same packet is not an attack.
    public init(
        profile: SRTPProtectionProfile, masterKey: [UInt8], masterSalt: [UInt8], direction: Direction
    ) throws(SRTPError) {
        try SRTPLibrary.ensureInitialized()
        guard masterKey.count == profile.masterKeyLength else {
            throw .badKeyLength(expected: profile.masterKeyLength, got: masterKey.count)
        }
        guard masterSalt.count == profile.masterSaltLength else {
            throw .badKeyLength(expected: profile.masterSaltLength, got: masterSalt.count)
        }
        var (rtp, rtcp) = try KeyDerivation.sessionKeys(profile: profile, masterKey: masterKey, masterSalt: masterSalt)
        defer {
            rtp.wipeAll()
            rtcp.wipeAll()
        }
        let crypto = try PacketCrypto(profile: profile, rtp: rtp, rtcp: rtcp)
        self.profile = profile
        self.direction = direction
        self.crypto = crypto
        self.state = Mutex(State())
    }

    // MARK: - Parsing (outside input: errors, never traps)

    private static func be16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    private static func be32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// The length of the RTP header (RFC 3550 §5.1: fixed part, CSRCs, extension) of a
    /// packet whose first `available` octets are header and payload.
    private static func rtpHeaderLength(_ p: UnsafeRawPointer, available: Int) throws(SRTPError) -> Int {
        guard available >= 12 else { throw .badPacket }
        let first = p.load(as: UInt8.self)
        guard first >> 6 == 2 else { throw .badPacket }
        var length = 12 + 4 * Int(first & 0x0f)
        if first & 0x10 != 0 {
            guard length + 4 <= available else { throw .badPacket }
            length += 4 + 4 * Int(be16(p, length + 2))
        }
        guard length <= available else { throw .badPacket }
        return length
    }

    /// The buffer's base if `length` octets and `headroom` after them fit.
    private static func base(_ buffer: UnsafeMutableRawBufferPointer, length: Int, headroom: Int) throws(SRTPError) -> UnsafeMutableRawPointer {
        guard length >= 0, length <= Int(Int32.max) - headroom, length + headroom <= buffer.count,
              let base = buffer.baseAddress
        else {
            throw .bufferTooSmall(needed: max(length, 0) + headroom, available: buffer.count)
        }
        return base
    }

    // MARK: - In place, no allocation

    /// Protects the RTP packet in `buffer[0..<length]` in place and returns the SRTP length.
    /// `buffer` must have `trailerCapacity` bytes of room after the packet.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try Self.base(buffer, length: length, headroom: Self.trailerCapacity)
        let headerLength = try Self.rtpHeaderLength(base, available: length)
        let seq = Self.be16(base, 2), ssrc = Self.be32(base, 8)
        let allowRepeat = direction == .outbound
        return try state.withLock { (state) throws(SRTPError) -> Int in
            let slot = try state.slot(creating: ssrc)
            let (index, delta) = state.streams[slot].rtp.estimate(seq)
            switch state.streams[slot].rtp.check(delta) {
            case .tooOld: throw .replayTooOld
            case .seen: if !allowRepeat { throw .replay }
            case .fresh: state.streams[slot].rtp.add(delta)
            }
            return try crypto.sealRTP(base, length: length, headerLength: headerLength, ssrc: ssrc, index: index)
        }
    }

    /// Verifies and decrypts the SRTP packet in `buffer[0..<length]`; returns the RTP length.
    /// Throws `.replay` / `.replayTooOld` before authenticating (RFC 3711 §3.3 step 5), and
    /// records the index (ROC, highest sequence number, replay list) only after the tag
    /// verified (step 7).
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try Self.base(buffer, length: length, headroom: 0)
        let tagLength = profile.tagLength
        guard length >= 12 + tagLength else { throw .badPacket }
        let headerLength = try Self.rtpHeaderLength(base, available: length - tagLength)
        let seq = Self.be16(base, 2), ssrc = Self.be32(base, 8)
        return try state.withLock { (state) throws(SRTPError) -> Int in
            guard let slot = state.slots[ssrc] else {
                // A new SSRC: index = SEQ (ROC 0); the stream exists once the packet is genuine.
                let n = try crypto.openRTP(base, length: length, headerLength: headerLength, ssrc: ssrc, index: UInt64(seq))
                var stream = StreamState()
                stream.rtp.add(Int(seq))
                _ = try state.add(ssrc, stream)
                return n
            }
            let (index, delta) = state.streams[slot].rtp.estimate(seq)
            switch state.streams[slot].rtp.check(delta) {
            case .tooOld: throw .replayTooOld
            case .seen: throw .replay
            case .fresh: break
            }
            let n = try crypto.openRTP(base, length: length, headerLength: headerLength, ssrc: ssrc, index: index)
            state.streams[slot].rtp.add(delta)
            return n
        }
    }

    /// Protects the RTCP compound packet in `buffer[0..<length]` in place (RFC 3711 §3.4),
    /// with the next SRTCP index of its sender SSRC (the first is 1, as libsrtp's).
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try Self.base(buffer, length: length, headroom: Self.trailerCapacity)
        guard length >= 8, base.load(as: UInt8.self) >> 6 == 2 else { throw .badPacket }
        let ssrc = Self.be32(base, 4)
        return try state.withLock { (state) throws(SRTPError) -> Int in
            let slot = try state.slot(creating: ssrc)
            guard state.streams[slot].rtcpSent < 0x7fff_ffff else { throw .indexExhausted }
            state.streams[slot].rtcpSent += 1
            return try crypto.sealRTCP(base, length: length, ssrc: ssrc, index: state.streams[slot].rtcpSent)
        }
    }

    /// Verifies and decrypts the SRTCP packet in `buffer[0..<length]`; returns the RTCP length.
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try Self.base(buffer, length: length, headroom: 0)
        guard length >= 8 + profile.rtcpOverhead, base.load(as: UInt8.self) >> 6 == 2 else { throw .badPacket }
        let ssrc = Self.be32(base, 4)
        let index = Int(Self.be32(base, crypto.rtcpTrailerOffset(length: length)) & 0x7fff_ffff)
        return try state.withLock { (state) throws(SRTPError) -> Int in
            guard let slot = state.slots[ssrc] else {
                let n = try crypto.openRTCP(base, length: length, ssrc: ssrc)
                var stream = StreamState()
                stream.rtcp.add(index)
                _ = try state.add(ssrc, stream)
                return n
            }
            let delta = index - Int(state.streams[slot].rtcp.highest)
            switch state.streams[slot].rtcp.check(delta) {
            case .tooOld: throw .replayTooOld
            case .seen: throw .replay
            case .fresh: break
            }
            let n = try crypto.openRTCP(base, length: length, ssrc: ssrc)
            state.streams[slot].rtcp.add(delta)
            return n
        }
    }

    // MARK: - Conveniences that allocate (tests, control paths)

    public func protectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: Self.trailerCapacity) { (b, n) throws(SRTPError) in try protectRTP(b, length: n) }
    }

    public func unprotectRTP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: 0) { (b, n) throws(SRTPError) in try unprotectRTP(b, length: n) }
    }

    public func protectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: Self.trailerCapacity) { (b, n) throws(SRTPError) in try protectRTCP(b, length: n) }
    }

    public func unprotectRTCP(_ packet: [UInt8]) throws(SRTPError) -> [UInt8] {
        try copying(packet, headroom: 0) { (b, n) throws(SRTPError) in try unprotectRTCP(b, length: n) }
    }

    private func copying(
        _ packet: [UInt8], headroom: Int,
        _ body: (UnsafeMutableRawBufferPointer, Int) throws(SRTPError) -> Int
    ) throws(SRTPError) -> [UInt8] {
        var buffer = packet + [UInt8](repeating: 0, count: headroom)
        let result = buffer.withUnsafeMutableBytes { raw in
            Result { () throws(SRTPError) -> Int in try body(raw, packet.count) }
        }
        let n = try result.get()
        buffer.removeSubrange(n...)
        return buffer
    }
}
