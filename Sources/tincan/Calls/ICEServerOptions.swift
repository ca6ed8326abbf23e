import ArgumentParser
import ICE
import PeerConnection

/// `--ice-server`, `--ice-username`, `--ice-credential`, `--ice-transport-policy`: the
/// `RTCConfiguration.iceServers` and `iceTransportPolicy` of the commands that make calls.
struct ICEServerOptions: ParsableArguments {
    @Option(name: .customLong("ice-server"), help: ArgumentHelp(
        "A STUN or TURN server (repeatable): stun:HOST[:PORT] (RFC 7064), turn:HOST[:PORT][?transport=udp|tcp] (RFC 7065; port 3478 by default, UDP unless ?transport=tcp), turns:HOST[:PORT] (TLS, port 5349; the certificate verified against the system's CAs). A TURN server needs --ice-username and --ice-credential. Example: --ice-server turn:192.0.2.10:3478?transport=udp --ice-username alice --ice-credential secret",
        valueName: "url"))
    var iceServers: [String] = []

    @Option(name: .customLong("ice-username"), help: ArgumentHelp("The TURN servers' username (long-term credentials, RFC 8489 §9.2).", valueName: "name"))
    var iceUsername: String?

    @Option(name: .customLong("ice-credential"), help: ArgumentHelp("The TURN servers' password.", valueName: "password"))
    var iceCredential: String?

    @Option(name: .customLong("ice-transport-policy"), help: ArgumentHelp(
        "all (default), or relay: offer and use only relayed candidates, through a TURN server (the peer never learns this host's addresses).",
        valueName: "policy"))
    var iceTransportPolicy: String?

    /// One RTCIceServer per URL, all with the same credentials.
    var servers: [RTCIceServer] {
        iceServers.map { RTCIceServer(urls: $0, username: iceUsername, credential: iceCredential) }
    }

    var policy: RTCIceTransportPolicy {
        iceTransportPolicy.flatMap(RTCIceTransportPolicy.init(rawValue:)) ?? .all
    }

    func validate() throws {
        for server in servers {
            do { _ = try server.parsedURLs() } catch {
                throw ValidationError("--ice-server \(server.urls[0]): \(error.message)")
            }
        }
        if (iceUsername == nil) != (iceCredential == nil) {
            throw ValidationError("--ice-username and --ice-credential go together")
        }
        if let p = iceTransportPolicy, RTCIceTransportPolicy(rawValue: p) == nil {
            throw ValidationError("--ice-transport-policy is all or relay")
        }
        if policy == .relay, !iceServers.contains(where: { $0.lowercased().hasPrefix("turn") }) {
            throw ValidationError("--ice-transport-policy relay needs a TURN server: --ice-server turn:HOST:PORT?transport=udp --ice-username U --ice-credential P")
        }
    }

    func apply(to config: inout RTCConfiguration) {
        config.iceServers = servers
        config.iceTransportPolicy = policy
    }
}
