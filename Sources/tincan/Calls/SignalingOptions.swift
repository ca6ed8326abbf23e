import ArgumentParser
import Foundation
import Logging
import PeerConnection
import Signaling

/// How `tincan send|recv|call` exchange the offer and answer with the other side: WHIP, a
/// `tincan-signal` room, copy-and-paste between two terminals, or two files.
struct SignalingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("WHIP endpoint to POST the offer to (RFC 9725).", valueName: "url"))
    var whip: String?

    @Option(help: ArgumentHelp("Bearer token for the WHIP endpoint.", valueName: "token"))
    var bearer: String?

    @Option(name: .customLong("whip-listen"), help: ArgumentHelp("Be a WHIP endpoint at HOST:PORT/whip and answer one offer (recv only).", valueName: "host:port"))
    var whipListen: String?

    @Option(name: .customLong("cors-origins"), help: ArgumentHelp(
        "With --whip-listen: the origins whose web pages may POST an offer from a browser (CORS preflight answered, Location exposed): * (any page), none, or a comma-separated list such as https://app.example. (default: *)",
        valueName: "origins"))
    var corsOrigins: String?

    @Option(help: ArgumentHelp("tincan-signal server (ws://HOST:PORT).", valueName: "url"))
    var signal: String?

    @Option(help: ArgumentHelp("Room on the tincan-signal server.", valueName: "name"))
    var room: String?

    @Option(help: ArgumentHelp("Room token, when the server was started with --token.", valueName: "token"))
    var token: String?

    @Flag(name: .customLong("copy-paste"), help: "Exchange the offer and answer by copy and paste between two terminals.")
    var copyPaste = false

    @Option(name: .customLong("offer-out"), help: ArgumentHelp("Write the offer to this file (send).", valueName: "file"))
    var offerOut: String?

    @Option(name: .customLong("answer-in"), help: ArgumentHelp("Wait for the answer in this file (send).", valueName: "file"))
    var answerIn: String?

    @Option(name: .customLong("offer-in"), help: ArgumentHelp("Wait for the offer in this file (recv).", valueName: "file"))
    var offerIn: String?

    @Option(name: .customLong("answer-out"), help: ArgumentHelp("Write the answer to this file (recv).", valueName: "file"))
    var answerOut: String?

    @Option(name: .customLong("loopback-candidates"), help: ArgumentHelp(
        "ICE candidates on loopback: automatic (when the machine has no other interface or the signaling address is a loopback one), always, never.",
        valueName: "policy"))
    var loopbackCandidates: String?

    @OptionGroup var ice: ICEServerOptions

    private var choices: [String] {
        var c: [String] = []
        if whip != nil { c.append("--whip") }
        if whipListen != nil { c.append("--whip-listen") }
        if signal != nil { c.append("--signal") }
        if copyPaste { c.append("--copy-paste") }
        if offerOut != nil || answerIn != nil { c.append("--offer-out/--answer-in") }
        if offerIn != nil || answerOut != nil { c.append("--offer-in/--answer-out") }
        return c
    }

    func validate(offering: Bool) throws {
        let c = choices
        guard c.count == 1 else {
            throw ValidationError(c.isEmpty
                ? "say how to reach the other side: --whip URL, \(offering ? "" : "--whip-listen HOST:PORT, ")--signal URL --room R, --copy-paste, or \(offering ? "--offer-out F --answer-in F" : "--offer-in F --answer-out F")"
                : "choose one way to reach the other side, not \(c.joined(separator: " and "))")
        }
        if signal != nil, room == nil { throw ValidationError("--signal needs --room") }
        if offering, whipListen != nil { throw ValidationError("--whip-listen answers offers: use it with tincan recv") }
        if !offering, whip != nil { throw ValidationError("--whip posts an offer: use it with tincan send, or --whip-listen here") }
        if (offerOut == nil) != (answerIn == nil) { throw ValidationError("--offer-out and --answer-in go together") }
        if (offerIn == nil) != (answerOut == nil) { throw ValidationError("--offer-in and --answer-out go together") }
        if offering, offerIn != nil { throw ValidationError("--offer-in is for the answering side (tincan recv)") }
        if !offering, offerOut != nil { throw ValidationError("--offer-out is for the offering side (tincan send)") }
        if corsOrigins != nil, whipListen == nil { throw ValidationError("--cors-origins goes with --whip-listen") }
        if let corsOrigins {
            do { _ = try CORSPolicy(parsing: corsOrigins) } catch { throw ValidationError(error.description) }
        }
        if let l = loopbackCandidates, RTCConfiguration.LoopbackCandidates(rawValue: l) == nil {
            throw ValidationError("--loopback-candidates is automatic, always or never")
        }
    }

    /// Loopback candidates: as asked, else always when the other side is reached through a
    /// loopback address (a call on one machine), else automatic.
    var loopbackPolicy: RTCConfiguration.LoopbackCandidates {
        if let l = loopbackCandidates, let p = RTCConfiguration.LoopbackCandidates(rawValue: l) { return p }
        let hosts = [whip, signal].compactMap { $0 }.compactMap { URLComponents(string: $0)?.host } + [whipListen.map { Self.host(of: $0) }].compactMap { $0 }
        return hosts.contains(where: Self.isLoopback) ? .always : .automatic
    }

    static func host(of hostPort: String) -> String {
        // Only a guess at loopback: --whip-listen itself is parsed (and refused) where it binds.
        (try? HostPort(parsing: hostPort).host) ?? hostPort
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h.hasPrefix("127.") || h == "::1"
    }

    func offerExchange() throws -> any OfferExchange {
        if let whip {
            guard let url = URL(string: whip) else { throw ValidationError("--whip \(whip) is not a URL") }
            return WHIPClient(endpoint: url, bearerToken: bearer)
        }
        if let signal, let room { return try RoomClient(url: signal, room: room, token: token, timeout: .seconds(120), logger: Logger(label: "tincan.signaling")) }
        if copyPaste { return CopyPasteExchange() }
        if let offerOut, let answerIn { return FileExchange(offerPath: offerOut, answerPath: answerIn, timeout: .seconds(300)) }
        throw ValidationError("no way to send the offer")
    }

    func offerAnswering() throws -> any OfferAnswering {
        if let whipListen {
            let cors = try corsOrigins.map { try CORSPolicy(parsing: $0) } ?? .anyOrigin
            return WHIPEndpoint(listen: try HostPort(parsing: whipListen), bearerToken: bearer, corsPolicy: cors, logger: Logger(label: "tincan.whip"))
        }
        if let signal, let room { return try RoomClient(url: signal, room: room, token: token, timeout: .seconds(300), logger: Logger(label: "tincan.signaling")) }
        if copyPaste { return CopyPasteExchange() }
        if let offerIn, let answerOut { return FileExchange(offerPath: offerIn, answerPath: answerOut, timeout: .seconds(300)) }
        throw ValidationError("no way to receive the offer")
    }
}
