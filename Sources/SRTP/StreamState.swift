/// A replay list (RFC 3711 §3.3.2) of `SRTPSession.replayWindowSize` indices behind the
/// highest index accepted, kept as libsrtp's `srtp_rdbx_t` keeps it: `highest` and a bitmap
/// where bit k says whether index `highest - k` was seen.
struct ReplayList {
    static let size = SRTPSession.replayWindowSize
    private static let wordCount = size / 64

    /// The highest index accepted (48-bit SRTP index, or 31-bit SRTCP index).
    private(set) var highest: UInt64 = 0
    private var bits = [UInt64](repeating: 0, count: wordCount)

    enum Verdict { case fresh, seen, tooOld }

    /// `delta` is the packet's index minus `highest`.
    func check(_ delta: Int) -> Verdict {
        if delta > 0 { return .fresh }
        let k = -delta
        if k >= Self.size { return .tooOld }
        return bits[k >> 6] >> UInt64(k & 63) & 1 != 0 ? .seen : .fresh
    }

    /// Records the index `highest + delta` (a `check` said `.fresh`).
    mutating func add(_ delta: Int) {
        if delta > 0 {
            highest &+= UInt64(delta)
            advance(by: delta)
            bits[0] |= 1
        } else {
            let k = -delta
            guard k < Self.size else { return }
            bits[k >> 6] |= 1 << UInt64(k & 63)
        }
    }

    /// Every recorded offset grows by `d` (the highest index moved forward by `d`).
    private mutating func advance(by d: Int) {
        if d >= Self.size {
            for i in 0..<Self.wordCount { bits[i] = 0 }
            return
        }
        let wordShift = d >> 6, bitShift = UInt64(d & 63)
        for i in stride(from: Self.wordCount - 1, through: 0, by: -1) {
            let from = i - wordShift
            var value: UInt64 = 0
            if from >= 0 {
                value = bits[from] << bitShift
                if bitShift > 0, from >= 1 { value |= bits[from - 1] >> (64 - bitShift) }
            }
            bits[i] = value
        }
    }

    /// The SRTP packet index of sequence number `seq` (RFC 3711 §3.3.1, Appendix A) relative
    /// to `highest`, and its distance from it. As libsrtp (`srtp_rdbx_estimate_index`), a
    /// stream whose highest index is at most 2^15 takes ROC 0 (rather than guess ROC - 1).
    func estimate(_ seq: UInt16) -> (index: UInt64, delta: Int) {
        let median = 1 << 15, max = 1 << 16
        guard highest > UInt64(median) else { return (UInt64(seq), Int(seq) - Int(highest)) }
        let localROC = UInt32(truncatingIfNeeded: highest >> 16)
        let localSeq = Int(UInt16(truncatingIfNeeded: highest)), s = Int(seq)
        let roc: UInt32, delta: Int
        if localSeq < median {
            if s - localSeq > median {
                roc = localROC &- 1
                delta = s - localSeq - max
            } else {
                roc = localROC
                delta = s - localSeq
            }
        } else if localSeq - median > s {
            roc = localROC &+ 1
            delta = s - localSeq + max
        } else {
            roc = localROC
            delta = s - localSeq
        }
        return (UInt64(roc) << 16 | UInt64(seq), delta)
    }
}

/// What a session keeps per SSRC: the SRTP replay list (whose highest index carries the
/// ROC), the SRTCP replay list, and the last SRTCP index this side sent.
struct StreamState {
    var rtp = ReplayList()
    var rtcp = ReplayList()
    var rtcpSent: UInt32 = 0
}
