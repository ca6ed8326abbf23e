import NetworkPrimitives

/// The ICE agent as a sans-I/O state machine (RFC 8445, RFC 8838 trickle, RFC 7675 consent).
///
/// It owns no sockets and no clock: the driver hands it datagrams with their addresses and
/// the current time (`now`, a `Duration` since any fixed origin), calls `handleTimeout(now:)`
/// at `nextDeadline`, and sends what `pollTransmit()` returns. The same core therefore runs
/// over real UDP (see `ICEAgent`) and over a simulated network and clock in tests.
public struct ICEAgentCore {
    public internal(set) var configuration: ICEConfiguration
    public internal(set) var role: ICERole
    public internal(set) var localCredentials: ICECredentials
    public internal(set) var remoteCredentials: ICECredentials?
    public internal(set) var state: ICEConnectionState = .new
    public internal(set) var localCandidates: [ICECandidate] = []
    public internal(set) var remoteCandidates: [ICECandidate] = []
    public internal(set) var selectedPair: ICECandidatePair?
    public internal(set) var tieBreaker: UInt64
    public internal(set) var gatheringComplete = false
    public internal(set) var remoteEndOfCandidates = false
    /// Datagrams the agent refused, by reason (nothing from outside is dropped uncounted).
    public internal(set) var counters = ICEAgentCounters()

    var random: any RandomNumberGenerator
    var pairs: [CheckPair] = []
    var nextPairID = 0
    var triggeredQueue: [Int] = []
    var transactions: [STUNTransactionID: Transaction] = [:]
    var transactionSequence = 0
    var nextCheckTime: Duration?
    var lastTransactionStart: Duration?
    var firstValidTime: Duration?
    var nominatingPairID: Int?
    var selectedPairID: Int?
    var lastConsent: Duration?
    var nextConsent: Duration?
    var hostGatheringFinished = false
    /// Last time a pair was added, a check sent or a request answered (see `checkingTimeout`).
    var lastCheckActivity: Duration = .zero
    var prflxCounter = 0
    /// Bounds the unauthenticated 400/401 responses (see STUNErrorResponseLimiter).
    var errorResponseLimiter = STUNErrorResponseLimiter()
    /// One TURN client per (host candidate, TURN server) (RFC 8445 §5.1.1.2).
    var turnClients: [TURNClient] = []
    /// The latest time an input brought: what data sent through a relay is stamped with.
    var clock: Duration = .zero
    var transmits = OutputQueue<ICETransmit>()
    var events = OutputQueue<ICEEvent>()

    /// - Parameters:
    ///   - tieBreaker: RFC 8445 §7.3.1.1; random when nil.
    ///   - random: the generator for transaction IDs and consent jitter; a seeded one makes
    ///     simulated runs reproducible. Defaults to OpenSSL's CSPRNG.
    public init(role: ICERole, configuration: ICEConfiguration = ICEConfiguration(),
                localCredentials: ICECredentials = .generate(), tieBreaker: UInt64? = nil,
                random: any RandomNumberGenerator = SecureRandom()) {
        self.role = role
        self.configuration = configuration
        self.localCredentials = localCredentials
        var generator = random
        self.tieBreaker = tieBreaker ?? generator.next()
        self.random = generator
    }

    // MARK: - Inputs from the application

    /// Adds a host candidate for a socket bound to `base`, and starts asking the configured
    /// STUN servers of the same address family for its server-reflexive address.
    /// With TURN servers configured, also allocates a relayed candidate on each of them.
    @discardableResult
    public mutating func addHostCandidate(base: TransportAddress, now: Duration) -> ICECandidate {
        clock = now
        if let existing = localCandidates.first(where: { $0.type == .host && $0.address == base }) {
            return existing
        }
        let localPreference = localPreference(for: base)
        let candidate = ICECandidate(
            foundation: ICECandidate.foundation(type: .host, baseIP: base.ip, server: nil),
            priority: ICECandidate.priority(type: .host, localPreference: localPreference),
            address: base, type: .host)
        localCandidates.append(candidate)
        guard configuration.transportPolicy == .all else {
            // RTCIceTransportPolicy "relay": the host is only the base of its allocations.
            startAllocations(base: base, now: now)
            return candidate
        }
        emit(.candidateGathered(candidate))
        for server in configuration.stunServers where server.ip.isIPv6 == base.ip.isIPv6 {
            startTransaction(kind: .gather(server: server), source: base, destination: server,
                             message: STUNMessage(type: .bindingRequest, transactionID: newTransactionID()),
                             key: nil, now: now)
        }
        startAllocations(base: base, now: now)
        for remote in remoteCandidates { addPair(localBase: candidate, remote: remote, now: now) }
        return candidate
    }

    /// Tells the core that every host candidate has been added; `gatheringComplete` follows
    /// once the STUN servers have answered or timed out.
    public mutating func finishHostGathering() {
        hostGatheringFinished = true
        checkGatheringComplete()
    }

    public mutating func setRemoteCredentials(_ credentials: ICECredentials, now: Duration) {
        clock = now
        remoteCredentials = credentials
        if state == .new { setState(.checking) }
        scheduleChecks(now: now)
    }

    /// Adds a remote candidate (trickled or from the SDP). Non-UDP and other-component
    /// candidates are kept out of the checklist.
    public mutating func addRemoteCandidate(_ candidate: ICECandidate, now: Duration) {
        clock = now
        guard candidate.isUDP, candidate.component == 1 else { return }
        if let i = remoteCandidates.firstIndex(where: { $0.address == candidate.address }) {
            // Already learned as peer-reflexive from a check: now signaled, keep the signaled form.
            if remoteCandidates[i].type == .peerReflexive {
                remoteCandidates[i] = candidate
                for p in pairs.indices where pairs[p].remote.address == candidate.address {
                    pairs[p].remote = candidate
                }
            }
            return
        }
        remoteCandidates.append(candidate)
        for local in localCandidates where isCheckBase(local) {
            addPair(localBase: local, remote: candidate, now: now)
        }
    }

    /// RFC 8838 §8.2: the peer sent end-of-candidates.
    public mutating func endOfRemoteCandidates(now: Duration) {
        remoteEndOfCandidates = true
        updateFailedState()
    }

    /// RFC 8445 §9: an ICE restart with new local credentials. The selected pair keeps
    /// carrying data until the new checks select one; remote credentials and candidates of
    /// the old session are forgotten.
    public mutating func restart(localCredentials: ICECredentials = .generate(), now: Duration) {
        self.localCredentials = localCredentials
        remoteCredentials = nil
        remoteCandidates = []
        remoteEndOfCandidates = false
        pairs = []
        triggeredQueue = []
        transactions = transactions.filter { if case .gather = $0.value.kind { true } else { false } }
        nextCheckTime = nil
        firstValidTime = nil
        nominatingPairID = nil
        selectedPairID = nil
        lastConsent = nil
        nextConsent = nil
        if state != .closed { setState(.checking) }
    }

    /// Releases the TURN allocations (Refresh with LIFETIME 0, sent once) and stops.
    public mutating func close() {
        for i in turnClients.indices { turnClients[i].close(now: clock) }
        processTURN(now: clock)
        transactions = [:]
        pairs = []
        triggeredQueue = []
        nextCheckTime = nil
        nextConsent = nil
        selectedPairID = nil
        selectedPair = nil
        setState(.closed)
    }

    /// The selected pair application data goes on; throws when there is none to use.
    private func sendingPair() throws(ICEError) -> ICECandidatePair {
        guard state != .closed else { throw .closed }
        guard let pair = selectedPair, state != .failed else { throw .notConnected }
        return pair
    }

    /// Where application data goes when the selected pair is not relayed (a datagram from
    /// `source` straight to `destination`): the driver sends it from the caller's bytes,
    /// without an array per packet. Nil through a relay, whose data `send` wraps.
    public func directRoute() throws(ICEError) -> (source: TransportAddress, destination: TransportAddress)? {
        let pair = try sendingPair()
        return pair.local.type == .relayed ? nil : (pair.local.address, pair.remote.address)
    }

    /// Wraps application data (DTLS, SRTP) for the selected pair.
    /// Through a relayed local candidate, the datagram goes to the TURN server as ChannelData
    /// or a Send indication (RFC 8656 §10-12); a ChannelBind it starts waits in `pollTransmit`.
    public mutating func send(_ payload: [UInt8]) throws(ICEError) -> ICETransmit {
        let pair = try sendingPair()
        guard pair.local.type == .relayed else {
            return ICETransmit(source: pair.local.address, destination: pair.remote.address, payload: payload)
        }
        guard let i = turnClientIndex(relayed: pair.local.address),
              let bytes = turnClients[i].send(payload, to: pair.remote.address, now: clock) else {
            throw .failed("the TURN allocation of \(pair.local.address) is gone")
        }
        if turnClients[i].hasOutput { drainTURNTransmits(i) }
        return ICETransmit(source: turnClients[i].base, destination: turnClients[i].server, payload: bytes,
                           transport: turnClients[i].transport)
    }

    /// The local candidates to signal: all of them, or only the relayed ones under the
    /// `.relay` transport policy.
    public var signaledCandidates: [ICECandidate] {
        configuration.transportPolicy == .all ? localCandidates : localCandidates.filter { $0.type == .relayed }
    }

    /// True when `pollTransmit` or `pollEvent` has something (the driver pumps after a send).
    public var hasPendingOutput: Bool { !transmits.isEmpty || !events.isEmpty }

    // MARK: - Outputs

    public mutating func pollTransmit() -> ICETransmit? { transmits.poll() }

    public mutating func pollEvent() -> ICEEvent? { events.poll() }

    /// When `handleTimeout(now:)` must next be called.
    public var nextDeadline: Duration? {
        guard state != .closed else { return nil }
        var deadline: Duration?
        func consider(_ d: Duration?) {
            guard let d else { return }
            deadline = deadline.map { min($0, d) } ?? d
        }
        for t in transactions.values { consider(t.deadline) }
        for c in turnClients { consider(c.nextDeadline) }
        consider(nextCheckTime)
        if selectedPairID != nil {
            consider(nextConsent)
            if let last = lastConsent {
                consider(last + configuration.consentTimeout)
                if state == .connected { consider(last + configuration.disconnectedTimeout) }
            }
        }
        if isStalled { consider(lastCheckActivity + configuration.checkingTimeout) }
        // Only while a valid pair is left to nominate: after consent expired on the selected
        // pair there is none, and a deadline in the past would fire forever.
        if role == .controlling, nominatingPairID == nil, selectedPairID == nil, let first = firstValidTime,
           pairs.contains(where: \.valid) {
            consider(first + configuration.nominationTimeout)
        }
        return deadline
    }

    // MARK: - Helpers

    mutating func emit(_ event: ICEEvent) { events.append(event) }

    /// Queues a datagram; from a relayed candidate it goes through its TURN client.
    mutating func transmit(_ payload: [UInt8], from source: TransportAddress, to destination: TransportAddress) {
        if !turnClients.isEmpty, let i = turnClients.firstIndex(where: { $0.relayedAddress == source }) {
            // A relayed candidate whose allocation is gone sends nothing: counted, not tried
            // from a socket that does not exist.
            guard turnClients[i].state == .allocated else {
                counters.datagramSendFailures += 1
                return
            }
            if let bytes = turnClients[i].send(payload, to: destination, now: clock) {
                transmits.append(ICETransmit(source: turnClients[i].base, destination: turnClients[i].server, payload: bytes,
                                             transport: turnClients[i].transport))
            }
            drainTURNTransmits(i)
            return
        }
        transmits.append(ICETransmit(source: source, destination: destination, payload: payload))
    }

    mutating func setState(_ new: ICEConnectionState) {
        guard new != state, state != .closed else { return }
        state = new
        emit(.stateChanged(new))
    }

    mutating func newTransactionID() -> STUNTransactionID {
        STUNTransactionID.random(using: &random)
    }

    /// A local candidate checks may be sent from: a host candidate (unless the policy is
    /// `.relay`) or a relayed one.
    func isCheckBase(_ candidate: ICECandidate) -> Bool {
        candidate.type == .relayed || (candidate.type == .host && configuration.transportPolicy == .all)
    }

    /// The local candidate whose address is `base`, if checks may use it.
    func checkBase(_ base: TransportAddress) -> ICECandidate? {
        localCandidates.first { $0.address == base && isCheckBase($0) }
    }

    /// Distinct local preferences per base (RFC 8445 §5.1.2.1), IPv6 first (RFC 8421).
    func localPreference(for base: TransportAddress) -> UInt32 {
        let index = UInt32(localCandidates.filter { $0.type == .host }.count)
        let familyPreference: UInt32 = base.ip.isIPv6 ? 60000 : 40000
        let loopbackPenalty: UInt32 = base.ip.isLoopback ? 10000 : 0
        return familyPreference - loopbackPenalty - min(index, 9000)
    }

    mutating func checkGatheringComplete() {
        guard hostGatheringFinished, !gatheringComplete else { return }
        let pending = transactions.values.contains { if case .gather = $0.kind { true } else { false } }
        let allocating = turnClients.contains { $0.state == .new || $0.state == .allocating }
        guard !pending, !allocating else { return }
        gatheringComplete = true
        emit(.gatheringComplete)
    }
}
