import NetworkPrimitives

/// The checklist: pairing, pacing (Ta), triggered checks, nomination (RFC 8445 §6.1, §7.2, §8).
extension ICEAgentCore {
    static let maximumPairs = 100

    mutating func addPair(localBase local: ICECandidate, remote: ICECandidate, now: Duration, state initial: CheckPairState? = nil) {
        guard local.address.ip.isIPv6 == remote.address.ip.isIPv6 else { return }
        guard !pairs.contains(where: { $0.local.address == local.address && $0.remote.address == remote.address }) else { return }
        guard pairs.count < Self.maximumPairs else { return }
        var pair = CheckPair(id: nextPairID, local: local, remote: remote, state: .frozen)
        nextPairID += 1
        // RFC 8445 §6.1.2.6 (and RFC 8838 §10): a new pair whose foundation is not already
        // being checked starts Waiting, the others Frozen.
        let busy = pairs.contains { $0.foundation == pair.foundation && ($0.state == .waiting || $0.state == .inProgress) }
        pair.state = initial ?? (busy ? .frozen : .waiting)
        pairs.append(pair)
        createPermission(local: local, remote: remote, now: now)
        lastCheckActivity = now
        scheduleChecks(now: now)
    }

    func pairIndex(_ id: Int) -> Int? { pairs.firstIndex { $0.id == id } }

    /// Arms the Ta timer when there is check work and remote credentials to do it with.
    mutating func scheduleChecks(now: Duration) {
        guard remoteCredentials != nil, state != .closed, nextCheckTime == nil else { return }
        guard hasCheckWork else { return }
        let earliest = lastTransactionStart.map { $0 + configuration.pacingInterval } ?? now
        nextCheckTime = max(now, earliest)
    }

    var hasCheckWork: Bool {
        if !triggeredQueue.isEmpty { return true }
        guard selectedPairID == nil else { return false }
        return pairs.contains { $0.state == .waiting || $0.state == .frozen }
    }

    /// One Ta tick: a triggered check first, else the best Waiting pair, else unfreeze the
    /// best Frozen one (RFC 8445 §6.1.4.2).
    mutating func performNextCheck(now: Duration) {
        nextCheckTime = nil
        guard remoteCredentials != nil else { return }
        var chosen: (id: Int, useCandidate: Bool)?
        while chosen == nil, !triggeredQueue.isEmpty {
            let id = triggeredQueue.removeFirst()
            if let i = pairIndex(id), pairs[i].state != .inProgress {
                chosen = (id, id == nominatingPairID && role == .controlling)
            }
        }
        if chosen == nil, selectedPairID == nil {
            let order = pairs.indices.sorted { pairs[$0].priority(role: role) > pairs[$1].priority(role: role) }
            if let i = order.first(where: { pairs[$0].state == .waiting }) ?? order.first(where: { pairs[$0].state == .frozen }) {
                chosen = (pairs[i].id, false)
            }
        }
        if let chosen, let i = pairIndex(chosen.id) {
            sendCheck(pairIndex: i, useCandidate: chosen.useCandidate, now: now)
            lastTransactionStart = now
        }
        if hasCheckWork {
            nextCheckTime = now + configuration.pacingInterval
        }
    }

    mutating func sendCheck(pairIndex i: Int, useCandidate: Bool, now: Duration) {
        guard let remote = remoteCredentials else { return }
        pairs[i].state = .inProgress
        let pair = pairs[i]
        // Cancel an older check of the same pair: its answer would be stale.
        transactions = transactions.filter {
            if case .check(let id, _, _) = $0.value.kind { return id != pair.id }
            return true
        }
        var attributes: [STUNAttribute] = [
            .username(remote.ufrag + ":" + localCredentials.ufrag),
            .priority(ICECandidate.priority(type: .peerReflexive, localPreference: (pair.local.priority >> 8) & 0xFFFF)),
            role == .controlling ? .iceControlling(tieBreaker) : .iceControlled(tieBreaker),
        ]
        if useCandidate { attributes.append(.useCandidate) }
        let message = STUNMessage(type: .bindingRequest, transactionID: newTransactionID(), attributes: attributes)
        let key = STUNCredentials.shortTermKey(password: remote.pwd)
        lastCheckActivity = now
        startTransaction(kind: .check(pairID: pair.id, useCandidate: useCandidate, role: role),
                         source: pair.local.address, destination: pair.remote.address,
                         message: message, key: key, now: now)
    }

    mutating func startTransaction(kind: Transaction.Kind, source: TransportAddress, destination: TransportAddress,
                                   message: STUNMessage, key: [UInt8]?, now: Duration) {
        let bytes = message.encoded(integrityKey: key, fingerprint: true)
        let rto = configuration.retransmissionTimeout
        transactions[message.transactionID] = Transaction(
            kind: kind, source: source, destination: destination, request: bytes,
            key: key, sequence: nextTransactionSequence(), timeout: rto, deadline: now + rto)
        transmit(bytes, from: source, to: destination)
    }

    mutating func nextTransactionSequence() -> Int {
        transactionSequence += 1
        return transactionSequence
    }

    /// Controlling agent, regular nomination (RFC 8445 §8.1.1): once the best valid pair
    /// cannot be beaten by a pair still pending, or `nominationTimeout` after the first valid
    /// pair, repeat its check with USE-CANDIDATE.
    mutating func considerNomination(now: Duration) {
        guard role == .controlling, nominatingPairID == nil, selectedPairID == nil else { return }
        let valid = pairs.filter(\.valid)
        guard let best = valid.max(by: { $0.priority(role: role) < $1.priority(role: role) }) else { return }
        let bestPriority = best.priority(role: role)
        let betterPending = pairs.contains {
            ($0.state == .waiting || $0.state == .frozen || $0.state == .inProgress) && $0.priority(role: role) > bestPriority
        }
        let waitedEnough = firstValidTime.map { now >= $0 + configuration.nominationTimeout } ?? false
        guard !betterPending || waitedEnough else { return }
        nominatingPairID = best.id
        triggeredQueue.insert(best.id, at: 0)
        scheduleChecks(now: now)
    }

    /// A pair is nominated: make it the selected pair (RFC 8445 §8.1.1 / §8.2.1).
    mutating func select(pairIndex i: Int, now: Duration) {
        pairs[i].nominated = true
        if let current = selectedPairID, let c = pairIndex(current),
           pairs[c].priority(role: role) >= pairs[i].priority(role: role) {
            return
        }
        selectedPairID = pairs[i].id
        selectedPair = pairs[i].publicPair
        lastConsent = now
        scheduleConsent(now: now)
        emit(.selectedPairChanged(pairs[i].publicPair))
        setState(.connected)
        // Ordinary checks stop; pending non-selected pairs need no more work.
        for p in pairs.indices where pairs[p].state == .waiting || pairs[p].state == .frozen {
            pairs[p].state = .failed
        }
    }

    mutating func scheduleConsent(now: Duration) {
        // RFC 7675 §5.1: uniformly random in [0.8, 1.2] times the interval.
        let factor = Double.random(in: 0.8...1.2, using: &random)
        nextConsent = now + configuration.consentInterval * factor
    }

    /// Checking, with credentials, nothing selected and nothing left to check.
    var isStalled: Bool {
        state == .checking && selectedPairID == nil && remoteCredentials != nil && triggeredQueue.isEmpty
            && !pairs.contains { $0.state == .waiting || $0.state == .frozen || $0.state == .inProgress }
    }

    /// Without end-of-candidates: fail after `checkingTimeout` of stalled checking.
    mutating func checkStalled(now: Duration) {
        if isStalled, now >= lastCheckActivity + configuration.checkingTimeout {
            setState(.failed)
        }
    }

    /// All pairs failed and no more candidates will come: the agent has failed.
    mutating func updateFailedState() {
        guard selectedPairID == nil, state == .checking, remoteEndOfCandidates, !pairs.isEmpty else { return }
        let allFailed = pairs.allSatisfy { $0.state == .failed }
        if allFailed && triggeredQueue.isEmpty { setState(.failed) }
    }
}
