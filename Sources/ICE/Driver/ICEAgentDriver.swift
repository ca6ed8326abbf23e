import Logging
import NIOCore
import NIOSSL
import NetworkPrimitives

/// The event-loop side of `ICEAgent`: owns the core, the sockets and the timer. Used only on
/// its event loop (it lives in a `NIOLoopBoundBox`).
final class ICEAgentDriver {
    var core: ICEAgentCore
    let eventLoop: any EventLoop
    /// The core's time zero, on the event loop's clock (a test loop's clock is simulated).
    let origin: NIODeadline
    var sockets: [TransportAddress: any ICEDatagramSocket] = [:]
    /// The failure handler of the last destination, reused: media goes to one peer, and a
    /// closure per datagram was an allocation per packet.
    private var lastSendFailed: (TransportAddress, @Sendable (any Error) -> Void)?
    var timer: Scheduled<Void>?
    var timerDeadline: Duration?
    var gatherWaiters: [EventLoopPromise<GatherReport>] = []
    var selectionWaiters: [EventLoopPromise<ICECandidatePair>] = []
    var serverReflexive: [ServerReflexiveResult] = []
    var relayed: [RelayResult] = []
    /// TCP connections to TURN servers (RFC 8656 §3.1).
    var streams: [TURNStreamKey: TURNStreamConnection] = [:]
    var turnTLS: NIOSSLContext?
    let events: AsyncStream<ICEEvent>.Continuation
    let datagrams: AsyncStream<ReceivedDatagram>.Continuation
    /// When set, application data and events go here, synchronously on the event loop,
    /// instead of into the async streams (a peer connection that runs on the same loop).
    var onDatagram: ((ReceivedDatagram) -> Void)?
    var onEvent: ((ICEEvent) -> Void)?
    /// Set by `ICEAgent` right after creation so that timers can find the driver again.
    var box: NIOLoopBoundBox<ICEAgentDriver>?
    /// The core's counters as last published, for readers off the loop (getStats).
    let published: ICEPublishedCounters
    /// The selected direct pair for senders off the loop, and what was last stored in it.
    let route: ICEPublishedRoute
    private var routePublished: (source: TransportAddress, destination: TransportAddress)?

    init(core: ICEAgentCore, eventLoop: any EventLoop, origin: NIODeadline, events: AsyncStream<ICEEvent>.Continuation,
         datagrams: AsyncStream<ReceivedDatagram>.Continuation, published: ICEPublishedCounters, route: ICEPublishedRoute) {
        self.core = core
        self.published = published
        self.route = route
        self.eventLoop = eventLoop
        self.origin = origin
        self.events = events
        self.datagrams = datagrams
    }

    /// Time since the driver started, the core's clock.
    var now: Duration {
        .nanoseconds((eventLoop.now - origin).nanoseconds)
    }

    func startGathering(sockets bound: [any ICEDatagramSocket]) -> EventLoopFuture<GatherReport> {
        for socket in bound {
            sockets[socket.localAddress] = socket
            core.addHostCandidate(base: socket.localAddress, now: now)
        }
        core.finishHostGathering()
        let promise = eventLoop.makePromise(of: GatherReport.self)
        gatherWaiters.append(promise)
        pump()
        if core.gatheringComplete {
            // Already complete (no STUN servers): pump() ran before the promise could see it.
            completeGathering()
        }
        return promise.futureResult
    }

    func waitForSelection() -> EventLoopFuture<ICECandidatePair> {
        if let pair = core.selectedPair, core.state == .connected || core.state == .disconnected {
            return eventLoop.makeSucceededFuture(pair)
        }
        if core.state == .failed { return eventLoop.makeFailedFuture(ICEError.failed("ICE failed")) }
        if core.state == .closed { return eventLoop.makeFailedFuture(ICEError.closed) }
        let promise = eventLoop.makePromise(of: ICECandidatePair.self)
        selectionWaiters.append(promise)
        return promise.futureResult
    }

    func send(_ payload: [UInt8]) throws {
        let transmit = try core.send(payload)
        write(transmit)
        // Through a relay, a send may start a ChannelBind (RFC 8656 §12).
        if core.hasPendingOutput { pump() }
    }

    /// Application data from the caller's bytes: straight to the socket on a direct pair,
    /// through `send(_:)` (an array the relay wraps) otherwise.
    func send(bytes: UnsafeRawBufferPointer) throws {
        guard let route = try core.directRoute() else { return try send(Array(bytes)) }
        guard let socket = sockets[route.source] else { return noSocket(route.source, route.destination) }
        socket.send(bytes: bytes, to: route.destination, failed: sendFailed(to: route.destination))
    }

    /// Application data that came from off the loop while no route was published: sent
    /// here, and a failure counted (its sender had already returned).
    func sendHopped(_ payload: [UInt8]) {
        do { try send(payload) } catch {
            countSendFailure()
            ICELog.logger.trace("a datagram from off the loop was not sent: \(error)")
        }
    }

    private func noSocket(_ source: TransportAddress, _ destination: TransportAddress) {
        ICELog.logger.warning("no socket for \(source): a datagram to \(destination) was not sent")
        countSendFailure()
    }

    /// What a socket calls when it refuses a datagram to `destination`: counted, and said once.
    private func sendFailed(to destination: TransportAddress) -> @Sendable (any Error) -> Void {
        if let (last, handler) = lastSendFailed, last == destination { return handler }
        let handler: @Sendable (any Error) -> Void = { [box, eventLoop] error in
            // On the loop already (the socket's loop is ours); execute keeps that true anyway.
            eventLoop.execute {
                guard let driver = box?.value else { return }
                let first = driver.core.counters.datagramSendFailures == 0
                driver.countSendFailure()
                // The first says so; the rest are in getStats (a full buffer fails many in a row).
                let message: Logger.Message = "a datagram to \(destination) was not sent: \(error)"
                if first { ICELog.logger.warning(message) } else { ICELog.logger.debug(message) }
            }
        }
        lastSendFailed = (destination, handler)
        return handler
    }

    func receive(_ payload: [UInt8], from source: TransportAddress, on base: TransportAddress) {
        let before = core.counters
        if ICELog.logger.logLevel <= .debug, let stun = ICELog.describe(payload) {
            ICELog.logger.debug("\(stun) from \(source) on \(base)")
        }
        let turnBefore = core.hasTURNClients ? core.turnCounters : nil
        core.handleDatagram(payload, from: source, to: base, now: now)
        if core.counters != before {
            published.store(core.counters)
            ICELog.logger.debug("dropped a datagram from \(source) on \(base) (\(payload.count) bytes): \(Self.reason(before, core.counters))")
        }
        if let turnBefore { logTURNDrop(turnBefore, from: source, size: payload.count) }
        pump()
    }

    /// A message from a TURN server that its client refused (counted in `TURNClientCounters`), in words.
    private func logTURNDrop(_ before: TURNClientCounters, from source: TransportAddress, size: Int) {
        let after = core.turnCounters
        guard after != before else { return }
        let reason = after.malformedMessages != before.malformedMessages ? "not a valid STUN or ChannelData message"
            : after.unmatchedResponses != before.unmatchedResponses ? "a response to no TURN request of ours"
            : after.unauthenticatedResponses != before.unauthenticatedResponses ? "a response whose MESSAGE-INTEGRITY does not verify"
            : after.unexpectedPeerData != before.unexpectedPeerData ? "data from a peer without a permission or channel"
            : "data sent with no allocation"
        ICELog.logger.debug("TURN: dropped a message from \(source) (\(size) bytes): \(reason)")
    }

    /// The counter that moved, in words.
    private static func reason(_ a: ICEAgentCounters, _ b: ICEAgentCounters) -> String {
        if b.malformedSTUNMessages != a.malformedSTUNMessages { return "not a valid STUN message" }
        if b.unsupportedSTUNMethods != a.unsupportedSTUNMethods { return "a STUN method other than Binding" }
        if b.unmatchedSTUNResponses != a.unmatchedSTUNResponses { return "a response to no transaction of ours" }
        if b.unauthenticatedSTUNResponses != a.unauthenticatedSTUNResponses { return "a response whose MESSAGE-INTEGRITY does not verify" }
        return "not from a remote candidate"
    }

    /// Sends what the core wants sent, dispatches its events, and re-arms the timer.
    func pump() {
        while let transmit = core.pollTransmit() { write(transmit) }
        while let event = core.pollEvent() { dispatch(event) }
        armTimer()
        publishRoute()
    }

    /// Publishes the selected pair as the route off the loop when it changed: a direct pair
    /// on a socket that sends from any thread, or none (a relay, no pair, closed).
    private func publishRoute() {
        var current: (source: TransportAddress, destination: TransportAddress)?
        if let direct = (try? core.directRoute()) ?? nil, sockets[direct.source]?.sendsFromAnyThread == true { current = direct }
        guard current?.source != routePublished?.source || current?.destination != routePublished?.destination else { return }
        routePublished = current
        guard let current, let socket = sockets[current.source] else { return route.store(nil) }
        route.store(ICESendRoute(socket: socket, source: current.source, destination: current.destination,
                                 failed: sendFailed(to: current.destination)))
    }

    private func write(_ transmit: ICETransmit) {
        if ICELog.logger.logLevel <= .debug, let stun = ICELog.describe(transmit.payload) {
            ICELog.logger.debug("\(stun) to \(transmit.destination) from \(transmit.source)\(transmit.transport == .udp ? "" : " over \(transmit.transport.rawValue.uppercased())")")
        }
        if transmit.transport != .udp {
            writeStream(transmit)
            return
        }
        guard let socket = sockets[transmit.source] else { return noSocket(transmit.source, transmit.destination) }
        socket.send(transmit.payload, to: transmit.destination, failed: sendFailed(to: transmit.destination))
    }

    /// A message for a TURN server over TCP: on its connection, opened on first use.
    private func writeStream(_ transmit: ICETransmit) {
        let key = TURNStreamKey(base: transmit.source, server: transmit.destination, transport: transmit.transport)
        if let connection = streams[key] {
            connection.write(transmit.payload)
            return
        }
        guard let box else { return }
        var tls: NIOSSLContext?
        if key.transport == .tls {
            do { tls = try tlsContext() } catch {
                ICELog.logger.warning("no TLS for TURN server \(key.server): \(error)")
                core.turnStreamClosed(server: key.server, base: key.base, transport: key.transport, now: now)
                return
            }
        }
        let connection = TURNStreamConnection()
        connection.write(transmit.payload)
        streams[key] = connection
        let serverName = core.configuration.turnServers.first { $0.address == key.server && $0.transport == .tls }?.tlsServerName
        TURNStreamConnection.connect(key: key, tls: tls, serverName: serverName, eventLoop: eventLoop, box: box)
    }

    /// The client TLS context for TURN servers (RFC 8656 §3.1: TLS 1.2 or later), made once:
    /// certificates verified against `turnTLSTrustedCertificates` or the system's.
    private func tlsContext() throws -> NIOSSLContext {
        if let turnTLS { return turnTLS }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        let files = core.configuration.turnTLSTrustedCertificates
        if !files.isEmpty {
            configuration.trustRoots = .certificates(try files.flatMap { try NIOSSLCertificate.fromPEMFile($0) })
        }
        let context = try NIOSSLContext(configuration: configuration)
        turnTLS = context
        return context
    }

    /// One message from a TURN server's TCP connection.
    func receiveStream(_ message: [UInt8], key: TURNStreamKey) {
        guard streams[key] != nil else { return }
        if ICELog.logger.logLevel <= .debug, let stun = ICELog.describe(message) {
            ICELog.logger.debug("\(stun) from \(key.server) over \(key.transport.rawValue.uppercased())")
        }
        let turnBefore = core.turnCounters
        core.handleTURNStreamMessage(message, from: key.server, base: key.base, transport: key.transport, now: now)
        logTURNDrop(turnBefore, from: key.server, size: message.count)
        pump()
    }

    /// A TURN server's TCP connection failed or ended: the allocation on it is gone.
    func streamClosed(_ key: TURNStreamKey) {
        guard let connection = streams.removeValue(forKey: key) else { return }
        connection.close()
        core.turnStreamClosed(server: key.server, base: key.base, transport: key.transport, now: now)
        pump()
    }

    /// One datagram of ours that did not leave, counted and published for getStats.
    private func countSendFailure() {
        core.counters.datagramSendFailures += 1
        published.store(core.counters)
    }

    private func dispatch(_ event: ICEEvent) {
        Self.log(event)
        switch event {
        case .applicationData(let payload, let kind, let source, let base):
            let datagram = ReceivedDatagram(payload: payload, kind: kind, source: source, base: base)
            if let onDatagram { onDatagram(datagram) } else { datagrams.yield(datagram) }
            return
        case .serverReflexiveResult(let result):
            serverReflexive.append(result)
        case .relayResult(let result):
            relayed.append(result)
        case .gatheringComplete:
            completeGathering()
        case .selectedPairChanged(let pair):
            let waiters = selectionWaiters
            selectionWaiters = []
            for w in waiters { w.succeed(pair) }
        case .stateChanged(.failed), .stateChanged(.closed):
            let waiters = selectionWaiters
            selectionWaiters = []
            for w in waiters { w.fail(core.state == .closed ? ICEError.closed : ICEError.failed("ICE failed")) }
        default:
            break
        }
        if let onEvent { onEvent(event) } else { events.yield(event) }
    }

    private static func log(_ event: ICEEvent) {
        let log = ICELog.logger
        switch event {
        case .applicationData: return
        case .candidateGathered(let c): log.debug("gathered \(c.type.rawValue) candidate \(c.address)")
        case .serverReflexiveResult(let r): log.debug("STUN server \(r.server) answered: \(r.candidate.map { "\($0.address)" } ?? "no address")")
        case .gatheringComplete: log.debug("gathering complete")
        case .stateChanged(let s): log.debug("ICE connection state \(s.rawValue)")
        case .roleChanged(let r): log.debug("role conflict resolved: now \(r.rawValue)")
        case .selectedPairChanged(let p): log.debug("selected pair \(p)")
        case .checkFailed(let p, let code): log.debug("check failed on \(p): \(code.map { "STUN error \($0)" } ?? "no answer")")
        case .relayResult(let r):
            if let error = r.error {
                log.warning("TURN server \(r.server) gave no relayed candidate: \(error)")
            } else {
                log.debug("TURN server \(r.server) allocated \(r.candidate.map { "\($0.address)" } ?? "")")
            }
        case .relayLost(let server, let error): log.warning("the allocation on TURN server \(server) is gone: \(error)")
        case .consentExpired(let p): log.notice("consent expired on \(p): the peer stopped answering (RFC 7675)")
        }
    }

    private func completeGathering() {
        let report = GatherReport(candidates: core.signaledCandidates, serverReflexive: serverReflexive, relayed: relayed)
        let waiters = gatherWaiters
        gatherWaiters = []
        for w in waiters { w.succeed(report) }
    }

    private func armTimer() {
        let deadline = core.nextDeadline
        guard deadline != timerDeadline else { return }
        timer?.cancel()
        timer = nil
        timerDeadline = deadline
        guard let deadline, let box else { return }
        // Rounded up: a timer that fires a fraction of a nanosecond early finds nothing due and
        // re-arms at the same instant, forever, on a simulated clock.
        let (seconds, attoseconds) = deadline.components
        let nanoseconds = seconds * 1_000_000_000 + (attoseconds + 999_999_999) / 1_000_000_000
        timer = eventLoop.scheduleTask(deadline: origin + .nanoseconds(nanoseconds)) {
            let driver = box.value
            driver.timerDeadline = nil
            driver.timer = nil
            driver.core.handleTimeout(now: driver.now)
            driver.pump()
        }
    }

    func shutdown() -> [any ICEDatagramSocket] {
        core.close()
        pump()
        timer?.cancel()
        timer = nil
        for w in gatherWaiters { w.fail(ICEError.closed) }
        for w in selectionWaiters { w.fail(ICEError.closed) }
        gatherWaiters = []
        selectionWaiters = []
        events.finish()
        datagrams.finish()
        box = nil
        // After pump(): the Refresh with LIFETIME 0 went onto each connection first.
        for connection in streams.values { connection.close() }
        streams = [:]
        // No sender off the loop finds a socket that is about to close.
        route.store(nil)
        routePublished = nil
        let all = Array(sockets.values)
        sockets = [:]
        return all
    }
}
