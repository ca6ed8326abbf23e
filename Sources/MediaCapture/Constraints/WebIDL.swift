import MediaPrimitives
/// The WebIDL conversions (WebIDL §3.2 "JavaScript type mapping") a browser applies to the
/// object a page passes to getUserMedia, applied here to the JSON value of that object, so
/// the same text means the same thing in Tincan as in a browser.
enum WebIDL {
    /// ECMAScript ToNumber for the values JSON can hold.
    static func toNumber(_ v: JSONValue) -> Double {
        switch v {
        case .null: return 0
        case .bool(let b): return b ? 1 : 0
        case .number(let n): return n
        case .string(let s):
            let t = s.trimmingSpaces
            if t.isEmpty { return 0 }
            if t.hasPrefix("0x") || t.hasPrefix("0X"), let n = Int(t.dropFirst(2), radix: 16) { return Double(n) }
            if t == "Infinity" || t == "+Infinity" { return .infinity }
            if t == "-Infinity" { return -.infinity }
            // Swift's Double(String) accepts "inf"/"nan" which JavaScript does not.
            if t.lowercased().contains("inf") || t.lowercased().contains("nan") { return .nan }
            return Double(t) ?? .nan
        case .array(let items):
            // ToPrimitive of an array is its joined string.
            if items.isEmpty { return 0 }
            if items.count == 1 { return toNumber(items[0].isObject ? .string("x") : items[0]) }
            return .nan
        case .object: return .nan
        }
    }

    /// ECMAScript ToBoolean.
    static func toBoolean(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .number(let n): return !(n == 0 || n.isNaN)
        case .string(let s): return !s.isEmpty
        case .array, .object: return true
        }
    }

    /// ECMAScript ToString for the values JSON can hold.
    static func toString(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return JSONValue.format(n)
        case .string(let s): return s
        case .array(let items): return items.map { $0 == .null ? "" : toString($0) }.joined(separator: ",")
        case .object: return "[object Object]"
        }
    }

    /// `[Clamp] unsigned long` (WebIDL §3.2.4.9 ConvertToInt with [Clamp]): NaN is 0, the
    /// value is clamped to 0...2^32-1 and rounded to the nearest integer, ties to even.
    static func clampedUnsignedLong(_ v: JSONValue) -> Double {
        let x = toNumber(v)
        if x.isNaN { return 0 }
        let clamped = min(max(x, 0), 4_294_967_295)
        return clamped.rounded(.toNearestOrEven)
    }

    /// `double` (restricted): NaN and infinities are a TypeError.
    static func restrictedDouble(_ v: JSONValue, member: String) throws(MediaStreamError) -> Double {
        let x = toNumber(v)
        guard x.isFinite else {
            throw MediaStreamError(.typeError, "\(member): \(toString(v)) is not a finite number")
        }
        return x
    }
}

extension String {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }),
              let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
