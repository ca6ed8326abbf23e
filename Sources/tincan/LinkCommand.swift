import ArgumentParser
import Foundation
import LinkEmulator
import NIOCore
import VirtualNetwork

/// `--link SPEC` / `--scenario F`, shared by `tincan link` and `tincan loopback`.
struct LinkOptions: ParsableArguments {
    static let grammar = """
    Link spec (each direction gets the same): comma-separated items, e.g. "300kbit,100ms,2%" = 300 kbit/s, 100 ms round trip (50 ms each way), 2% random loss.
      300kbit | 2mbit        rate (bit, kbit, mbit, gbit; "kbps" is refused as ambiguous)
      100ms                  round-trip time (split evenly between the directions)
      2%                     random loss
      rate=R|unlimited  rtt=T  delay=T (one way)  jitter=T (uniform 0..T extra)  loss=P
      queue=250ms|30kb|20pkt drop-tail queue: time at the rate, bytes, or 1500-byte packets
                             (default 250 ms at the rate, at least 10 packets)
      reorder=P  reorder-delay=T (default 20ms)  duplicate=P
      burst=gilbert(p,r[,k[,h]])  Gilbert-Elliott loss: p = P(good→bad), r = P(bad→good),
                             k = P(delivered|good) (default 1), h = P(delivered|bad) (default 0);
                             mean burst 1/r packets, e.g. burst=gilbert(1%,25%)
    P is a percentage (2%) or a fraction (0.02); T is us, ms or s.

    Scenario file (JSON): {"duration": 60, "steps": [{"at": 0, "link": "2mbit,50ms"}, {"at": 15, "link": "300kbit,50ms"}, {"at": 35, "link": "2mbit,50ms"}]}, optionally "description" and "constraints" (MediaStreamConstraints, for loopback). Ready-made ones are in scripts/thin-link/.
    """

    @Option(help: ArgumentHelp("The emulated link, e.g. \"300kbit,100ms,2%\" (grammar below).", valueName: "spec"))
    var link: String?

    @Option(help: ArgumentHelp("Link conditions over time, from a JSON file (format below).", valueName: "file"))
    var scenario: String?

    @Option(name: .customLong("link-seed"), help: ArgumentHelp("Seed of the link's loss and jitter draws.", valueName: "n"))
    var linkSeed: UInt64 = 1

    var isSet: Bool { link != nil || scenario != nil }

    func validate() throws {
        if link != nil && scenario != nil { throw ValidationError("give --link or --scenario, not both") }
        _ = try load()
    }

    /// The scenario asked for, nil when neither option is given.
    func load() throws -> LinkScenarioFile? {
        if let link {
            do { return LinkScenarioFile(spec: try LinkSpec(parsing: link)) } catch {
                throw ValidationError("--link: \(error)")
            }
        }
        if let scenario {
            do { return try LinkScenarioFile(contentsOf: scenario) } catch {
                throw ValidationError("--scenario \(scenario): \(error)")
            }
        }
        return nil
    }
}

/// `tincan link`: the emulated link as a UDP relay between two processes or hosts.
struct LinkCommand: AsyncParsableCommand, LoggingCommand {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "A UDP relay that emulates a thin link (rate, queue, delay, loss, reordering) in user space.",
        discussion: """
        Datagrams sent to --listen go to --to through the emulated link; the answers come back through it the other way (like a NAT: each client source address gets a socket of its own towards --to). No root, no kernel support (no netem). Every 100 ms it records bytes offered, delivered and dropped (by reason: random, burst, queue) and the queueing delay of each direction; --json writes them with the totals.

        \(LinkOptions.grammar)

        Examples:
          tincan link --listen 127.0.0.1:9000 --to 127.0.0.1:5004 --link "300kbit,100ms,2%"
          tincan link --listen 0.0.0.0:9000 --to 192.0.2.7:5004 --link "rate=2mbit,rtt=50ms,queue=100ms,burst=gilbert(1%,25%)" --json link.json
          tincan link --listen 127.0.0.1:9000 --to 127.0.0.1:5004 --scenario scripts/thin-link/capacity-drop.json --duration 60
        """
    )

    @OptionGroup var logging: LoggingOptions
    @Option(help: ArgumentHelp("Where clients send: HOST:PORT ([v6]:PORT).", valueName: "host:port"))
    var listen: String

    @Option(help: ArgumentHelp("Where datagrams go: HOST:PORT.", valueName: "host:port"))
    var to: String

    @OptionGroup var linkOptions: LinkOptions

    @Option(help: ArgumentHelp("Seconds to run (default: the scenario's duration, else until Ctrl-C).", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Write the relay's figures here as JSON when it stops.", valueName: "file"))
    var json: String?

    func validate() throws {
        guard linkOptions.isSet else { throw ValidationError("give --link SPEC or --scenario FILE") }
        _ = try Self.address(listen, "--listen")
        _ = try Self.address(to, "--to")
        if let duration, !(duration > 0 && duration <= 7 * 86_400) { throw ValidationError("--duration must be more than 0 seconds and at most a week") }
    }

    static func address(_ text: String, _ option: String) throws -> SocketAddress {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(after: close)...].drop { $0 == ":" }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            throw ValidationError("\(option) \(text): expected HOST:PORT")
        }
        guard let p = Int(port), (0...65535).contains(p) else { throw ValidationError("\(option) \(text): bad port") }
        do { return try SocketAddress.makeAddressResolvingHost(String(host), port: p) } catch {
            throw ValidationError("\(option) \(text): \(error)")
        }
    }

    func run() async throws {
        guard let plan = try linkOptions.load() else { return }
        let relay: UDPLinkRelay
        do {
            relay = try await UDPLinkRelay(.nat(listen: try Self.address(listen, "--listen"), server: try Self.address(to, "--to")),
                                           scenario: plan.scenario, seed: linkOptions.linkSeed)
        } catch {
            Output.stderr("tincan: cannot start the relay on \(listen): \(error)")
            throw ExitCode(1)
        }
        let limit = duration ?? plan.duration
        Output.stderr("tincan link: \(relay.localAddresses.first.map { "\($0)" } ?? listen) → \(to) over \(plan.steps.map { "[\($0.at) s] \($0.spec)" }.joined(separator: "; "))" + (limit.map { " for \($0) s" } ?? " (Ctrl-C stops)"))
        let interrupted = Interrupt()
        let start = Date()
        var last: LinkRelayReport?
        while !interrupted.happened, limit.map({ Date().timeIntervalSince(start) < $0 }) ?? true {
            try? await Task.sleep(for: .seconds(1))
            guard let report = try? await relay.report() else { break }
            Output.stderr(Self.line(report, since: last))
            last = report
        }
        let report = try await relay.report()
        await relay.close()
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
        for d in report.directions {
            print("\(d.name): \(d.datagramsOffered) datagrams offered, \(d.datagramsDelivered) delivered (\(d.deliveredKbitPerSecond) kbit/s), dropped \(d.droppedRandom) random + \(d.droppedBurst) burst + \(d.droppedQueue) queue (\(d.dropPercent)%), queueing delay mean \(d.queueingDelayMeanMs.map { "\($0)" } ?? "-") ms, p95 \(d.queueingDelayP95Ms.map { "\($0)" } ?? "-") ms")
        }
    }

    /// One line per second: each direction's delivered rate, drops and queueing delay.
    static func line(_ r: LinkRelayReport, since previous: LinkRelayReport?) -> String {
        var parts = [String(format: "%6.1f s", r.durationSeconds)]
        for (i, d) in r.directions.enumerated() {
            let p = previous?.directions[i]
            let seconds = max(r.durationSeconds - (previous?.durationSeconds ?? 0), 0.001)
            let kbit = Double(d.bytesDelivered - (p?.bytesDelivered ?? 0)) * 8 / seconds / 1000
            let recent = d.intervals.suffix(10)
            let queue = recent.compactMap(\.queueingDelayMaxMs).max()
            let queueText = queue.map { String(format: "%.0f", $0) } ?? "-"
            parts.append("\(d.name) " + String(format: "%.0f kbit/s, dropped %d (+%d)", kbit, d.droppedPackets, d.droppedPackets - (p?.droppedPackets ?? 0))
                         + ", queue max \(queueText) ms")
        }
        return parts.joined(separator: " | ")
    }
}
