/// The ordered attribute list shared by the session and media levels. The list is the single
/// source of truth (so unknown attributes survive a round trip in their place); the typed
/// properties of `SessionDescription` and `MediaDescription` read and write it.
public protocol SDPAttributeContainer {
    var attributes: [SDPAttribute] { get set }
    /// Where a newly added attribute goes: the order Chromium writes (lower first).
    static func rank(ofAttribute name: String) -> Int
}

extension SDPAttributeContainer {
    /// The value of the first attribute named `name` ("" for a property that is present).
    public func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }.map { $0.value ?? "" }
    }

    /// The values of every attribute named `name`, in order.
    public func attributes(_ name: String) -> [String] {
        attributes.filter { $0.name == name }.map { $0.value ?? "" }
    }

    public func hasAttribute(_ name: String) -> Bool {
        attributes.contains { $0.name == name }
    }

    /// Sets the first attribute named `name` in place and drops any others of that name; adds
    /// it at its ranked place when absent; removes them all when `value` is nil.
    public mutating func setAttribute(_ name: String, _ value: String?) {
        guard let value else {
            removeAttributes(name)
            return
        }
        replaceAttributes(named: [name], with: [SDPAttribute(name, value)])
    }

    /// Adds (`true`) or removes (`false`) a property attribute such as `a=rtcp-mux`.
    public mutating func setFlag(_ name: String, _ present: Bool) {
        if present {
            if !hasAttribute(name) { insertAttribute(SDPAttribute(name)) }
        } else {
            removeAttributes(name)
        }
    }

    public mutating func removeAttributes(_ name: String) {
        attributes.removeAll { $0.name == name }
    }

    /// Adds one attribute after the last attribute that ranks no later than it (so a
    /// description built attribute by attribute comes out in Chromium's order).
    public mutating func insertAttribute(_ attribute: SDPAttribute) {
        insertAttributes([attribute])
    }

    /// Adds attributes together at the ranked place of the first one.
    public mutating func insertAttributes(_ new: [SDPAttribute]) {
        guard let first = new.first else { return }
        let rank = Self.rank(ofAttribute: first.name)
        // After the last one that ranks no later; at the front when all rank later.
        let index = attributes.lastIndex { Self.rank(ofAttribute: $0.name) <= rank }.map { $0 + 1 } ?? 0
        attributes.insert(contentsOf: new, at: index)
    }

    /// Replaces every attribute whose name is in `names` by `new`, written where the first
    /// replaced one stood (or at its ranked place when none existed).
    public mutating func replaceAttributes(named names: Set<String>, with new: [SDPAttribute]) {
        if let index = attributes.firstIndex(where: { names.contains($0.name) }) {
            attributes.removeAll { names.contains($0.name) }
            attributes.insert(contentsOf: new, at: min(index, attributes.count))
        } else {
            insertAttributes(new)
        }
    }

    // Transport attributes, allowed at either level (RFC 8839 §5.4, RFC 8122 §5, RFC 4145 §4).

    /// `a=ice-ufrag` (RFC 8839 §5.4).
    public var iceUfrag: String? {
        get { attribute("ice-ufrag") }
        set { setAttribute("ice-ufrag", newValue) }
    }
    /// `a=ice-pwd` (RFC 8839 §5.4).
    public var icePwd: String? {
        get { attribute("ice-pwd") }
        set { setAttribute("ice-pwd", newValue) }
    }
    /// `a=ice-options` tokens, e.g. ["trickle"] (RFC 8839 §5.6).
    public var iceOptions: [String] {
        get { attributes("ice-options").flatMap { $0.split(separator: " ").map(String.init) } }
        set { setAttribute("ice-options", newValue.isEmpty ? nil : newValue.joined(separator: " ")) }
    }
    /// Every `a=fingerprint` (RFC 8122 §5), in order; malformed ones were refused by the parser.
    public var fingerprints: [SDPFingerprint] {
        // A malformed fingerprint is skipped: the certificate then matches none, and DTLS
        // refuses the peer (fails closed, with the reason).
        get { attributes("fingerprint").compactMap { try? SDPFingerprint(parsing: $0) } }
        set { replaceAttributes(named: ["fingerprint"], with: newValue.map { SDPAttribute("fingerprint", $0.sdpValue) }) }
    }
    /// `a=setup` (RFC 4145 §4, RFC 5763 §5).
    public var setup: SetupRole? {
        get { attribute("setup").flatMap { SetupRole(rawValue: $0.lowercased()) } }
        set { setAttribute("setup", newValue?.rawValue) }
    }
    /// `a=extmap-allow-mixed` (RFC 8285 §6): one- and two-byte header extensions may mix.
    public var extmapAllowMixed: Bool {
        get { hasAttribute("extmap-allow-mixed") }
        set { setFlag("extmap-allow-mixed", newValue) }
    }
    /// The direction written at this level, if any (RFC 8866 §6.7).
    public var explicitDirection: MediaDirection? {
        get {
            attributes.lazy.filter { $0.value == nil }.compactMap { MediaDirection(rawValue: $0.name) }.first
        }
        set {
            let names = Set(MediaDirection.allCases.map(\.rawValue))
            replaceAttributes(named: names, with: newValue.map { [SDPAttribute($0.rawValue)] } ?? [])
        }
    }
}
