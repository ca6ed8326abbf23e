#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MediaPrimitives
import Synchronization

/// The Permissions API names of the two capture permissions.
public enum PermissionName: String, Sendable, CaseIterable, Hashable {
    case camera
    case microphone

    public init(_ kind: MediaDeviceKind) { self = kind == .videoinput ? .camera : .microphone }
}

/// What getUserMedia asks the user for: the kinds, and the devices it would open (so the
/// prompt can name them).
public struct PermissionRequest: Sendable {
    public var names: [PermissionName]
    public var deviceLabels: [PermissionName: String]
}

/// The Permissions API's PermissionState.
public enum PermissionState: String, Sendable, Hashable {
    case granted, denied, prompt
}

/// Decides whether devices may open (§"getUserMedia", "request permission to use"). It is
/// asked before any device opens; throwing NotAllowedError rejects getUserMedia.
public protocol PermissionBroker: Sendable {
    func request(_ request: PermissionRequest) async throws(MediaStreamError)
    /// The current state, read without asking anyone (getUserMedia, "Read the current
    /// permission state"). While a requested kind is "denied", getUserMedia reports a
    /// missing device or an unsatisfiable constraint as NotAllowedError, so a denied caller
    /// learns nothing about the devices.
    func state(_ name: PermissionName) -> PermissionState
}

extension PermissionBroker {
    /// A broker that cannot tell before it is asked.
    public func state(_ name: PermissionName) -> PermissionState { .prompt }
}

/// Fixed answers: for a caller that decided already (a command line's flags), and for tests.
public struct StaticPermissions: PermissionBroker {
    public var granted: Set<PermissionName>
    public var denied: Set<PermissionName>
    /// How to grant, in the caller's terms (a command line's flag), appended to NotAllowedError.
    /// The library knows no way to grant, so it names none.
    public var hint: String?

    public init(granted: Set<PermissionName>, denied: Set<PermissionName> = [], hint: String? = nil) {
        self.granted = granted.subtracting(denied)
        self.denied = denied
        self.hint = hint
    }

    public static let allowAll = StaticPermissions(granted: Set(PermissionName.allCases))

    public func state(_ name: PermissionName) -> PermissionState {
        denied.contains(name) ? .denied : granted.contains(name) ? .granted : .prompt
    }

    public func request(_ request: PermissionRequest) async throws(MediaStreamError) {
        for name in request.names where !granted.contains(name) {
            if denied.contains(name) {
                throw MediaStreamError(.notAllowedError, "permission to use the \(name.rawValue) was denied" + (hint.map { "; \($0)" } ?? ""))
            }
            throw MediaStreamError(.notAllowedError, "permission to use the \(name.rawValue) has not been granted" + (hint.map { "; \($0)" } ?? ""))
        }
    }
}

/// The answer to a terminal prompt.
public enum PromptAnswer: Sendable, Equatable { case allowOnce, allowAlways, deny }

/// The command line's permission flow (the seed's "User privacy" section): `--deny` wins,
/// then `--allow`, then a remembered "always", then a prompt on a terminal; without any of
/// them the request is rejected with a message saying how to grant.
public final class InteractivePermissions: PermissionBroker {
    public let store: PermissionStore
    public let allowed: Set<PermissionName>
    public let denied: Set<PermissionName>
    /// Asks the user; nil when there is no terminal to ask on.
    private let prompt: (@Sendable (PermissionRequest) -> PromptAnswer?)?
    /// Told when an "always" answer could not be stored (the grant holds for this run).
    private let rememberFailed: @Sendable (any Error) -> Void
    /// How to grant the missing kinds, in the caller's terms (its flags); appended to the
    /// NotAllowedError when there was no one to ask. Nil: the library's words only.
    private let howToGrant: (@Sendable ([PermissionName]) -> String)?
    /// Why a kind is denied, in the caller's terms (the flag that denied it).
    private let whyDenied: (@Sendable (PermissionName) -> String)?

    public init(store: PermissionStore, allowed: Set<PermissionName> = [], denied: Set<PermissionName> = [],
                prompt: (@Sendable (PermissionRequest) -> PromptAnswer?)? = InteractivePermissions.terminalPrompt,
                howToGrant: (@Sendable ([PermissionName]) -> String)? = nil,
                whyDenied: (@Sendable (PermissionName) -> String)? = nil,
                rememberFailed: @escaping @Sendable (any Error) -> Void = { error in
                    writeToStandardError("could not remember the permission: \(error)\n")
                }) {
        self.store = store
        self.allowed = allowed
        self.denied = denied
        self.prompt = prompt
        self.rememberFailed = rememberFailed
        self.howToGrant = howToGrant
        self.whyDenied = whyDenied
    }

    /// --deny is "denied"; --allow or a remembered "always" is "granted"; else the prompt.
    public func state(_ name: PermissionName) -> PermissionState {
        if denied.contains(name) { return .denied }
        return allowed.contains(name) || store.granted().contains(name) ? .granted : .prompt
    }

    public func request(_ request: PermissionRequest) async throws(MediaStreamError) {
        let names = request.names
        if let d = names.first(where: { denied.contains($0) }) {
            throw MediaStreamError(.notAllowedError, "permission to use the \(d.rawValue) was denied" + (whyDenied.map { " (\($0(d)))" } ?? ""))
        }
        let remembered = store.granted()
        let missing = names.filter { !allowed.contains($0) && !remembered.contains($0) }
        if missing.isEmpty { return }
        let ask = PermissionRequest(names: missing, deviceLabels: request.deviceLabels)
        var answer: PromptAnswer?
        if let prompt {
            // The prompt blocks on the terminal: ask on a thread of its own.
            answer = await withCheckedContinuation { (c: CheckedContinuation<PromptAnswer?, Never>) in
                if !runOnOwnThread({ c.resume(returning: prompt(ask)) }) { c.resume(returning: nil) }
            }
        }
        guard let answer else {
            throw MediaStreamError(.notAllowedError, "permission to use the \(missing.map(\.rawValue).joined(separator: " and ")) has not been granted"
                                   + (howToGrant.map { "; \($0(missing))" } ?? ""))
        }
        switch answer {
        case .deny:
            throw MediaStreamError(.notAllowedError, "the user denied the \(missing.map(\.rawValue).joined(separator: " and "))")
        case .allowOnce:
            return
        case .allowAlways:
            do { try store.grant(missing) } catch {
                rememberFailed(error)
            }
        }
    }

    /// Asks on the terminal (stdin and stderr must be a tty), naming the devices.
    public static let terminalPrompt = terminalPrompt(asking: "This program")

    /// The terminal prompt with the name of the program that asks ("tincan wants to use...").
    public static func terminalPrompt(asking program: String) -> @Sendable (PermissionRequest) -> PromptAnswer? { { request in
        guard isatty(0) != 0, isatty(2) != 0 else { return nil }
        let what = request.names.map { name in
            request.deviceLabels[name].map { "the \(name.rawValue) \"\($0)\"" } ?? "the \(name.rawValue)"
        }.joined(separator: " and ")
        while true {
            writeToStandardError("\(program) wants to use \(what).\nAllow? [o]nce / [a]lways / [d]eny: ")
            guard let line = readLine() else { return .deny }
            switch line.trimmingSpaces.lowercased() {
            case "o", "once", "y", "yes": return .allowOnce
            case "a", "always": return .allowAlways
            case "d", "deny", "n", "no": return .deny
            default: continue
            }
        }
    } }
}

/// Remembered "always" grants, one name per line in `$XDG_CONFIG_HOME/tincan/permissions`
/// (or `~/.config/tincan/permissions`).
public final class PermissionStore: Sendable {
    public let path: String
    private let lock = Mutex<Void>(())

    public init(path: String) { self.path = path }

    /// The store in the XDG config directory.
    public static func standard() -> PermissionStore {
        PermissionStore(path: configDirectory() + "/permissions")
    }

    public static func configDirectory() -> String {
        if let xdg = getenv("XDG_CONFIG_HOME").map({ String(cString: $0) }), xdg.hasPrefix("/") { return xdg + "/tincan" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "."
        return home + "/.config/tincan"
    }

    public func granted() -> Set<PermissionName> {
        lock.withLock { _ in readUnlocked() }
    }

    private func readUnlocked() -> Set<PermissionName> {
        // No file (or none readable) is no remembered grant: fails closed, to the prompt.
        guard let file = try? BinaryFile(path: path, mode: "rb"), let bytes = try? file.read(1 << 16) else { return [] }
        var out = Set<PermissionName>()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if let name = PermissionName(rawValue: String(line).trimmingSpaces) { out.insert(name) }
        }
        return out
    }

    private func writeUnlocked(_ names: Set<PermissionName>) throws(MediaFileError) {
        makeDirectories(for: path)
        let file = try BinaryFile(path: path, mode: "wb")
        let text = PermissionName.allCases.filter { names.contains($0) }.map { $0.rawValue + "\n" }.joined()
        try file.write(Array(text.utf8))
        try file.close()
    }

    public func grant(_ names: [PermissionName]) throws(MediaFileError) {
        try lock.withLock { _ throws(MediaFileError) in try writeUnlocked(readUnlocked().union(names)) }
    }

    public func revoke(_ names: [PermissionName]) throws(MediaFileError) {
        try lock.withLock { _ throws(MediaFileError) in
            let remaining = readUnlocked().subtracting(names)
            if remaining.isEmpty {
                if access(path, F_OK) == 0, unlink(path) != 0 {
                    throw MediaFileError(path: path, String(cString: strerror(errno)))
                }
            } else {
                try writeUnlocked(remaining)
            }
        }
    }

    private func makeDirectories(for file: String) {
        var prefix = ""
        let parts = file.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        for (i, part) in parts.enumerated() {
            prefix += (i == 0 ? "" : "/") + part
            if !prefix.isEmpty { mkdir(prefix, 0o700) }
        }
    }
}
