/// A link written on one line, as a user types it: `"300kbit,100ms,2%"` is 300 kbit/s each
/// way, 100 ms round trip (50 ms each way) and 2% random loss each way.
///
/// Grammar (comma-separated items, case-insensitive, spaces ignored):
///
///     spec    = item *("," item)
///     item    = RATE | TIME | PERCENT | key "=" value
///     RATE    = number ("bit" | "kbit" | "mbit" | "gbit")         → rate (each way)
///     TIME    = number ("us" | "ms" | "s")                         → rtt
///     PERCENT = number "%"                                         → loss
///     key     = "rate" (RATE or "unlimited") | "rtt" | "delay" (one way) | "jitter" (TIME)
///             | "loss" | "reorder" | "duplicate" (PERCENT or a fraction 0...1)
///             | "reorder-delay" (TIME, default 20ms)
///             | "queue" (TIME at the rate, or BYTES: number ("b" | "kb" | "mb"), or number "pkt"
///                        of 1500 bytes)
///             | "burst" = "gilbert(" p "," r ["," k ["," h]] ")"
///
/// `burst` is the Gilbert-Elliott model in its usual parameters (as in netem's `gemodel`):
/// p = P(good → bad), r = P(bad → good), k = P(delivered | good) (default 1), h =
/// P(delivered | bad) (default 0); mean burst length 1/r packets.
///
/// The queue defaults to 250 ms at the rate but at least 10 packets of 1500 bytes (a
/// router-sized drop-tail buffer; at 300 kbit/s that is 15 000 bytes, 400 ms). "kbps" is
/// refused: tc reads it as kilobytes per second, most people as kilobits.
public struct LinkSpec: Sendable, Equatable, CustomStringConvertible {
    /// The conditions of each direction.
    public var conditions: LinkConditions
    /// The text it was parsed from.
    public var text: String

    public static let defaultQueueDuration: Duration = .milliseconds(250)
    public static let minimumQueuePackets = 10
    public static let fullPacketBytes = 1500

    /// 250 ms at `rate` bit/s, but at least 10 full packets.
    public static func defaultQueueLimit(rate: Int) -> Int {
        max(rate / 8 / 4, minimumQueuePackets * fullPacketBytes)
    }

    public init(parsing text: String) throws(LinkSpecError) {
        self.text = text
        var c = LinkConditions()
        var rate: Int?? = nil
        var queue: QueueSize?
        var seen: Set<String> = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        var index = 0
        while index < items.count {
            var item = Substring(items[index].filter { !$0.isWhitespace }.lowercased())
            // "gilbert(p,r,k,h)" contains commas: gather its items up to the ")".
            if item.contains("(") && !item.contains(")") {
                while index + 1 < items.count && !item.contains(")") {
                    index += 1
                    item += "," + items[index].filter { !$0.isWhitespace }.lowercased()
                }
            }
            index += 1
            let token = String(item)
            guard !item.isEmpty else {
                throw LinkSpecError(token: token, problem: "empty item (two commas in a row?)")
            }
            let key: String, value: Substring
            if let eq = item.firstIndex(of: "=") {
                key = String(item[..<eq])
                value = item[item.index(after: eq)...]
            } else if Self.rateValue(item) != nil || item.hasSuffix("kbps") || item.hasSuffix("mbps") || item.hasSuffix("bps") {
                key = "rate"; value = item
            } else if Self.timeValue(item) != nil {
                key = "rtt"; value = item
            } else if item.hasSuffix("%") {
                key = "loss"; value = item
            } else {
                throw LinkSpecError(token: token, problem: "not a rate (300kbit), a round-trip time (100ms), a loss (2%) or key=value")
            }
            let canonical = key == "delay" ? "rtt" : key
            guard seen.insert(canonical).inserted else {
                throw LinkSpecError(token: token, problem: "\(canonical == "rtt" ? "rtt/delay" : canonical) given twice")
            }
            func time() throws(LinkSpecError) -> Duration {
                guard let t = Self.timeValue(value) else {
                    throw LinkSpecError(token: token, problem: "\(key) is a time: a number with us, ms or s (e.g. 50ms)")
                }
                return t
            }
            func probability() throws(LinkSpecError) -> Double {
                guard let p = Self.probabilityValue(value) else {
                    throw LinkSpecError(token: token, problem: "\(key) is a percentage (2%) or a fraction between 0 and 1")
                }
                return p
            }
            switch key {
            case "rate":
                if value == "unlimited" || value == "none" { rate = .some(nil); break }
                if value.hasSuffix("bps") {
                    throw LinkSpecError(token: token, problem: "ambiguous unit (tc reads kbps as kilobytes/s): write kbit or mbit")
                }
                guard let r = Self.rateValue(value) else {
                    throw LinkSpecError(token: token, problem: "rate is a number with bit, kbit, mbit or gbit (e.g. 300kbit), or unlimited")
                }
                guard r >= 1000 else { throw LinkSpecError(token: token, problem: "rate below 1 kbit/s") }
                rate = .some(r)
            case "rtt": c.delay = try time() / 2
            case "delay": c.delay = try time()
            case "jitter": c.jitter = try time()
            case "loss": c.lossRate = try probability()
            case "reorder": c.reorderRate = try probability()
            case "reorder-delay": c.reorderDelay = try time()
            case "duplicate": c.duplicateRate = try probability()
            case "queue":
                if let t = Self.timeValue(value) {
                    queue = .time(t)
                } else if let b = Self.byteValue(value) {
                    queue = .bytes(b)
                } else {
                    throw LinkSpecError(token: token, problem: "queue is a time at the rate (250ms), bytes (30kb) or packets (20pkt)")
                }
            case "burst":
                c.burstLoss = try Self.gilbert(value, token: token)
            default:
                throw LinkSpecError(token: token, problem: "unknown key '\(key)' (rate, rtt, delay, jitter, loss, queue, reorder, reorder-delay, duplicate, burst)")
            }
        }
        if let rate { c.bandwidth = rate }
        if let bandwidth = c.bandwidth {
            switch queue {
            case .time(let t)?: c.queueLimitBytes = max(Int(Double(bandwidth) / 8 * Self.seconds(t)), Self.fullPacketBytes)
            case .bytes(let b)?: c.queueLimitBytes = b
            case nil: c.queueLimitBytes = Self.defaultQueueLimit(rate: bandwidth)
            }
        } else if queue != nil {
            throw LinkSpecError(token: "queue", problem: "a queue needs a rate")
        }
        self.conditions = c
    }

    private enum QueueSize { case time(Duration), bytes(Int) }

    /// A canonical, readable form: "300 kbit/s, RTT 100 ms, loss 2%, queue 15000 B".
    public var description: String {
        let c = conditions
        var parts: [String] = []
        if let rate = c.bandwidth {
            parts.append(Self.formatRate(rate))
        } else {
            parts.append("unlimited")
        }
        parts.append("RTT \(Self.formatMilliseconds(c.delay * 2)) ms")
        if c.jitter > .zero { parts.append("jitter \(Self.formatMilliseconds(c.jitter)) ms") }
        if c.lossRate > 0 { parts.append("loss \(Self.formatPercent(c.lossRate))") }
        if let g = c.burstLoss {
            parts.append("burst loss \(Self.formatPercent(g.averageLossRate)) (mean \(Self.formatNumber(1 / g.badToGood)) pkt)")
        }
        if c.reorderRate > 0 { parts.append("reorder \(Self.formatPercent(c.reorderRate))") }
        if c.duplicateRate > 0 { parts.append("duplicate \(Self.formatPercent(c.duplicateRate))") }
        if c.bandwidth != nil { parts.append("queue \(c.queueLimitBytes) B") }
        return parts.joined(separator: ", ")
    }

    // MARK: Values

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// A non-negative finite number followed by exactly `suffix`.
    private static func number(_ text: Substring, suffix: String) -> Double? {
        guard text.hasSuffix(suffix) else { return nil }
        guard let v = Double(text.dropLast(suffix.count)), v.isFinite, v >= 0 else { return nil }
        return v
    }

    static func rateValue(_ text: Substring) -> Int? {
        for (suffix, scale) in [("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1.0)] where text.hasSuffix(suffix) {
            guard let v = number(text, suffix: suffix), v * scale < 1e12 else { return nil }
            return Int((v * scale).rounded())
        }
        return nil
    }

    static func timeValue(_ text: Substring) -> Duration? {
        for (suffix, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0)] where text.hasSuffix(suffix) {
            guard let v = number(text, suffix: suffix), v * scale <= 3600 else { return nil }
            return .nanoseconds(Int64((v * scale * 1e9).rounded()))
        }
        return nil
    }

    static func byteValue(_ text: Substring) -> Int? {
        for (suffix, scale) in [("pkt", Double(fullPacketBytes)), ("mb", 1e6), ("kb", 1e3), ("b", 1.0)] where text.hasSuffix(suffix) {
            guard let v = number(text, suffix: suffix), v * scale >= 1, v * scale < 1e10 else { return nil }
            return Int((v * scale).rounded())
        }
        return nil
    }

    static func probabilityValue(_ text: Substring) -> Double? {
        if let p = number(text, suffix: "%") { return p <= 100 ? p / 100 : nil }
        if let p = Double(text), p.isFinite, p >= 0, p <= 1 { return p }
        return nil
    }

    private static func gilbert(_ value: Substring, token: String) throws(LinkSpecError) -> GilbertElliott {
        let usage = "burst is gilbert(p,r[,k[,h]]): p = P(good→bad), r = P(bad→good), k = P(delivered|good), h = P(delivered|bad), each a % or a fraction"
        guard value.hasPrefix("gilbert("), value.hasSuffix(")") else { throw LinkSpecError(token: token, problem: usage) }
        let args = value.dropFirst("gilbert(".count).dropLast().split(separator: ",", omittingEmptySubsequences: false)
        guard (2...4).contains(args.count) else { throw LinkSpecError(token: token, problem: usage) }
        var p: [Double] = []
        for arg in args {
            guard let v = probabilityValue(arg) else {
                throw LinkSpecError(token: token, problem: "'\(arg)' is not a probability; " + usage)
            }
            p.append(v)
        }
        guard p[1] > 0 else { throw LinkSpecError(token: token, problem: "r = 0 would never leave the bad state") }
        let k = p.count > 2 ? p[2] : 1, h = p.count > 3 ? p[3] : 0
        return GilbertElliott(goodToBad: p[0], badToGood: p[1], lossInGood: 1 - k, lossInBad: 1 - h)
    }

    // MARK: Formatting (no Foundation here)

    static func formatRate(_ bps: Int) -> String {
        if bps >= 1_000_000 { return "\(formatNumber(Double(bps) / 1e6)) Mbit/s" }
        return "\(formatNumber(Double(bps) / 1e3)) kbit/s"
    }

    static func formatMilliseconds(_ d: Duration) -> String { formatNumber(seconds(d) * 1000) }

    static func formatPercent(_ p: Double) -> String { formatNumber(p * 100) + "%" }

    /// Up to two decimals, trailing zeros removed.
    static func formatNumber(_ v: Double) -> String {
        let hundredths = Int((v * 100).rounded())
        let whole = hundredths / 100, fraction = hundredths % 100
        if fraction == 0 { return "\(whole)" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// A link spec that did not parse: the item at fault and what was wrong with it.
public struct LinkSpecError: Error, Sendable, Equatable, CustomStringConvertible {
    public var token: String
    public var problem: String

    public var description: String { "bad link spec item '\(token)': \(problem)" }
}
