import NIOCore

/// The event-loop side of `ICEAgent`: owns the core, the sockets and the timer. Used only on
/// its event loop (it lives in a `NIOLoopBoundBox`).
final class ICEAgentDriver {
    var core: ICEAgentCore
    let eventLoop: any EventLoop
    /// The core's time zero, on the event loop's clock (a test loop's clock is simulated).
    let origin: NIODeadline
    var sockets: [TransportAddress: any ICEDatagramSocket] = [:]
    var timer: Scheduled<Void>?
    var timerDeadline: Duration?
    var gatherWaiters: [EventLoopPromise<GatherReport>] = []
    var selectionWaiters: [EventLoopPromise<ICECandidatePair>] = []
    var serverReflexive: [ServerReflexiveResult] = []
    let events: AsyncStream<ICEEvent>.Continuation
    let datagrams: AsyncStream<ReceivedDatagram>.Continuation
    /// When set, application data and events go here, synchronously on the event loop,
    /// instead of into the async streams (a peer connection that runs on the same loop).
    var onDatagram: ((ReceivedDatagram) -> Void)?
    var onEvent: ((ICEEvent) -> Void)?
    /// Set by `ICEAgent` right after creation so that timers can find the driver again.
    var box: NIOLoopBoundBox<ICEAgentDriver>?

    init(core: ICEAgentCore, eventLoop: any EventLoop, origin: NIODeadline, events: AsyncStream<ICEEvent>.Continuation,
         datagrams: AsyncStream<ReceivedDatagram>.Continuation) {
        self.core = core
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
    }

    func receive(_ payload: [UInt8], from source: TransportAddress, on base: TransportAddress) {
        core.handleDatagram(payload, from: source, to: base, now: now)
        pump()
    }

    /// Sends what the core wants sent, dispatches its events, and re-arms the timer.
    func pump() {
        while let transmit = core.pollTransmit() { write(transmit) }
        while let event = core.pollEvent() { dispatch(event) }
        armTimer()
    }

    private func write(_ transmit: ICETransmit) {
        sockets[transmit.source]?.send(transmit.payload, to: transmit.destination)
    }

    private func dispatch(_ event: ICEEvent) {
        switch event {
        case .applicationData(let payload, let kind, let source, let base):
            let datagram = ReceivedDatagram(payload: payload, kind: kind, source: source, base: base)
            if let onDatagram { onDatagram(datagram) } else { datagrams.yield(datagram) }
            return
        case .serverReflexiveResult(let result):
            serverReflexive.append(result)
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

    private func completeGathering() {
        let report = GatherReport(candidates: core.localCandidates, serverReflexive: serverReflexive)
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
        let all = Array(sockets.values)
        sockets = [:]
        return all
    }
}
