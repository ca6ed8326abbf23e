import NIOCore

/// The event-loop side of `ICEAgent`: owns the core, the sockets and the timer. Used only on
/// its event loop (it lives in a `NIOLoopBoundBox`).
final class ICEAgentDriver {
    var core: ICEAgentCore
    let eventLoop: any EventLoop
    let origin = NIODeadline.now()
    var channels: [TransportAddress: Channel] = [:]
    var timer: Scheduled<Void>?
    var timerDeadline: Duration?
    var gatherWaiters: [EventLoopPromise<GatherReport>] = []
    var selectionWaiters: [EventLoopPromise<ICECandidatePair>] = []
    var serverReflexive: [ServerReflexiveResult] = []
    let events: AsyncStream<ICEEvent>.Continuation
    let datagrams: AsyncStream<ReceivedDatagram>.Continuation
    /// Set by `ICEAgent` right after creation so that timers can find the driver again.
    var box: NIOLoopBoundBox<ICEAgentDriver>?

    init(core: ICEAgentCore, eventLoop: any EventLoop, events: AsyncStream<ICEEvent>.Continuation,
         datagrams: AsyncStream<ReceivedDatagram>.Continuation) {
        self.core = core
        self.eventLoop = eventLoop
        self.events = events
        self.datagrams = datagrams
    }

    /// Time since the driver started, the core's clock.
    var now: Duration {
        .nanoseconds((NIODeadline.now() - origin).nanoseconds)
    }

    func startGathering(channels bound: [Channel]) -> EventLoopFuture<GatherReport> {
        for channel in bound {
            guard let local = channel.localAddress, let address = TransportAddress(local) else { continue }
            channels[address] = channel
            core.addHostCandidate(base: address, now: now)
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
        guard let channel = channels[transmit.source] else { return }
        let buffer = channel.allocator.buffer(bytes: transmit.payload)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: transmit.destination.socketAddress, data: buffer), promise: nil)
    }

    private func dispatch(_ event: ICEEvent) {
        switch event {
        case .applicationData(let payload, let kind, let source, let base):
            datagrams.yield(ReceivedDatagram(payload: payload, kind: kind, source: source, base: base))
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
        events.yield(event)
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
        let nanoseconds = deadline.components.seconds * 1_000_000_000 + deadline.components.attoseconds / 1_000_000_000
        timer = eventLoop.scheduleTask(deadline: origin + .nanoseconds(nanoseconds)) {
            let driver = box.value
            driver.timerDeadline = nil
            driver.timer = nil
            driver.core.handleTimeout(now: driver.now)
            driver.pump()
        }
    }

    func shutdown() -> [Channel] {
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
        let all = Array(channels.values)
        channels = [:]
        return all
    }
}

/// Hands datagrams from one socket to the driver.
final class ICEChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    let driver: NIOLoopBoundBox<ICEAgentDriver>
    var base: TransportAddress?

    init(driver: NIOLoopBoundBox<ICEAgentDriver>) {
        self.driver = driver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if base == nil, let local = context.channel.localAddress { base = TransportAddress(local) }
        guard let base, let source = TransportAddress(envelope.remoteAddress) else { return }
        driver.value.receive(Array(envelope.data.readableBytesView), from: source, on: base)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP port unreachable and the like surface here on connected-less UDP; checks time out.
    }
}
