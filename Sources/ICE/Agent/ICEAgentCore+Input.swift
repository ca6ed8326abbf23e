import NetworkPrimitives

/// Datagrams and timers: STUN servers' answers, checks from the peer and their answers,
/// consent freshness (RFC 8445 §7.2-7.3, RFC 7675).
extension ICEAgentCore {
    /// Handles one datagram received on the socket bound to `base`.
    public mutating func handleDatagram(_ bytes: [UInt8], from source: TransportAddress, to base: TransportAddress, now: Duration) {
        guard state != .closed else { return }
        clock = now
        if !turnClients.isEmpty, let i = turnClientIndex(for: bytes, from: source, base: base) {
            handleTURNDatagram(bytes, client: i, now: now)
            return
        }
        let kind = DatagramKind(bytes)
        guard kind == .stun else {
            // RFC 7675 §5.2-ish: only accept application data from a peer we know.
            let known = remoteCandidates.contains { $0.address == source } || selectedPair?.remote.address == source
            if known { emit(.applicationData(bytes, kind: kind, from: source, base: base)) } else { counters.unknownSourceDatagrams += 1 }
            return
        }
        let message: STUNMessage
        do { message = try STUNMessage(parsing: bytes) } catch {
            counters.malformedSTUNMessages += 1
            return
        }
        guard message.type.method == .binding else {
            counters.unsupportedSTUNMethods += 1
            return
        }
        switch message.type.messageClass {
        case .request: handleRequest(message, from: source, base: base, now: now)
        case .successResponse, .errorResponse: handleResponse(message, from: source, base: base, now: now)
        case .indication: break  // keepalives; nothing to do
        }
    }

    /// Runs every timer that is due: retransmissions, the Ta tick, nomination, consent.
    public mutating func handleTimeout(now: Duration) {
        guard state != .closed else { return }
        clock = now
        if !turnClients.isEmpty { handleTURNTimeouts(now: now) }
        let due = transactions.filter { $0.value.deadline <= now }.sorted { $0.value.sequence < $1.value.sequence }
        for (id, t) in due {
            if case .consent = t.kind {
                // Consent requests are not retransmitted; consent lapses through lastConsent.
                transactions[id] = nil
                continue
            }
            if t.transmissions < configuration.maximumTransmissions {
                var updated = t
                updated.transmissions += 1
                updated.timeout = min(t.timeout * 2, configuration.maximumRetransmissionTimeout)
                updated.deadline = now + updated.timeout
                transactions[id] = updated
                transmit(t.request, from: t.source, to: t.destination)
            } else {
                transactions[id] = nil
                transactionTimedOut(t, now: now)
            }
        }
        if let t = nextCheckTime, t <= now { performNextCheck(now: now) }
        considerNomination(now: now)
        if let t = nextCheckTime, t <= now { performNextCheck(now: now) }
        checkConsent(now: now)
        updateFailedState()
        checkStalled(now: now)
    }

    mutating func transactionTimedOut(_ t: Transaction, now: Duration) {
        switch t.kind {
        case .gather(let server):
            emit(.serverReflexiveResult(ServerReflexiveResult(server: server, base: t.source, candidate: nil, redundant: false)))
            checkGatheringComplete()
        case .check(let pairID, _, _):
            guard let i = pairIndex(pairID) else { return }
            pairs[i].state = .failed
            if nominatingPairID == pairID { nominatingPairID = nil }
            emit(.checkFailed(pairs[i].publicPair, errorCode: nil))
            scheduleChecks(now: now)
        case .consent:
            break
        }
    }

    mutating func checkConsent(now: Duration) {
        guard let id = selectedPairID, let i = pairIndex(id), let last = lastConsent else { return }
        if now >= last + configuration.consentTimeout {
            let pair = pairs[i].publicPair
            pairs[i].state = .failed
            pairs[i].valid = false
            selectedPairID = nil
            selectedPair = nil
            nextConsent = nil
            emit(.consentExpired(pair))
            setState(.failed)
            return
        }
        if now >= last + configuration.disconnectedTimeout {
            setState(.disconnected)
        }
        if let next = nextConsent, next <= now, let remote = remoteCredentials {
            let message = STUNMessage(type: .bindingRequest, transactionID: newTransactionID(), attributes: [
                .username(remote.ufrag + ":" + localCredentials.ufrag),
                .priority(ICECandidate.priority(type: .peerReflexive, localPreference: (pairs[i].local.priority >> 8) & 0xFFFF)),
                role == .controlling ? .iceControlling(tieBreaker) : .iceControlled(tieBreaker),
            ])
            // Kept for the consent timeout so that a late answer still counts.
            let key = STUNCredentials.shortTermKey(password: remote.pwd)
            let bytes = message.encoded(integrityKey: key, fingerprint: true)
            transactions[message.transactionID] = Transaction(
                kind: .consent(pairID: id), source: pairs[i].local.address, destination: pairs[i].remote.address,
                request: bytes, key: key, sequence: nextTransactionSequence(), timeout: configuration.consentTimeout, deadline: now + configuration.consentTimeout)
            transmit(bytes, from: pairs[i].local.address, to: pairs[i].remote.address)
            scheduleConsent(now: now)
        }
    }

    // MARK: requests from the peer (RFC 8445 §7.3)

    mutating func handleRequest(_ request: STUNMessage, from source: TransportAddress, base: TransportAddress, now: Duration) {
        guard checkBase(base) != nil else { return }
        // RFC 8489 §9.1.3: missing USERNAME or MESSAGE-INTEGRITY is 400, a wrong one 401.
        guard let username = request.username, request.hasMessageIntegrity else {
            sendUnauthenticatedError(400, "Bad Request", to: request, from: base, destination: source, now: now)
            return
        }
        let localKey = STUNCredentials.shortTermKey(password: localCredentials.pwd)
        guard username.split(separator: ":", maxSplits: 1).first.map(String.init) == localCredentials.ufrag,
              request.verifyMessageIntegrity(key: localKey) else {
            sendUnauthenticatedError(401, "Unauthorized", to: request, from: base, destination: source, now: now)
            return
        }
        // RFC 8489 §6.3.1: unknown comprehension-required attributes get 420.
        if !request.unknownComprehensionRequired.isEmpty {
            let message = STUNMessage(type: .bindingError, transactionID: request.transactionID, attributes: [
                .errorCode(code: 420, reason: "Unknown Attribute"),
                .unknown(type: STUNAttributeType.unknownAttributes,
                         value: request.unknownComprehensionRequired.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }),
            ])
            transmit(message.encoded(integrityKey: localKey, fingerprint: true), from: base, to: source)
            return
        }
        guard request.iceControlling != nil || request.iceControlled != nil, let peerPriority = request.priority else {
            sendError(400, "Bad Request", to: request, from: base, destination: source, signed: true)
            return
        }
        // RFC 8445 §7.3.1.1: role conflicts.
        if role == .controlling, let theirs = request.iceControlling {
            if tieBreaker >= theirs {
                sendError(487, "Role Conflict", to: request, from: base, destination: source, signed: true)
                return
            }
            switchRole(to: .controlled, now: now)
        } else if role == .controlled, let theirs = request.iceControlled {
            if tieBreaker >= theirs {
                switchRole(to: .controlling, now: now)
            } else {
                sendError(487, "Role Conflict", to: request, from: base, destination: source, signed: true)
                return
            }
        }
        let response = STUNMessage(type: .bindingSuccess, transactionID: request.transactionID,
                                   attributes: [.xorMappedAddress(source)])
        transmit(response.encoded(integrityKey: localKey, fingerprint: true), from: base, to: source)
        lastCheckActivity = now

        // RFC 8445 §7.3.1.3: learn a peer-reflexive remote candidate.
        var remote = remoteCandidates.first { $0.address == source }
        if remote == nil {
            prflxCounter += 1
            let candidate = ICECandidate(foundation: "prflx\(prflxCounter)", priority: peerPriority,
                                         address: source, type: .peerReflexive)
            remoteCandidates.append(candidate)
            remote = candidate
        }
        guard let remote, let local = checkBase(base) else { return }

        // RFC 8445 §7.3.1.4: triggered checks.
        if !pairs.contains(where: { $0.local.address == base && $0.remote.address == source }) {
            addPair(localBase: local, remote: remote, now: now, state: .waiting)
        }
        guard let i = pairs.firstIndex(where: { $0.local.address == base && $0.remote.address == source }) else { return }
        switch pairs[i].state {
        case .succeeded, .inProgress:
            break
        case .frozen, .waiting, .failed:
            pairs[i].state = .waiting
            if !triggeredQueue.contains(pairs[i].id) { triggeredQueue.append(pairs[i].id) }
        }
        // RFC 8445 §7.3.1.5: nomination by the controlling peer.
        if role == .controlled, request.useCandidate {
            if pairs[i].valid {
                select(pairIndex: i, now: now)
            } else {
                pairs[i].nominateOnSuccess = true
            }
        }
        scheduleChecks(now: now)
    }

    mutating func switchRole(to newRole: ICERole, now: Duration) {
        guard role != newRole else { return }
        role = newRole
        nominatingPairID = nil
        emit(.roleChanged(newRole))
        considerNomination(now: now)
    }

    mutating func sendError(_ code: Int, _ reason: String, to request: STUNMessage, from base: TransportAddress,
                            destination: TransportAddress, signed: Bool) {
        let message = STUNMessage(type: .bindingError, transactionID: request.transactionID,
                                  attributes: [.errorCode(code: code, reason: reason)])
        let key = signed ? STUNCredentials.shortTermKey(password: localCredentials.pwd) : nil
        transmit(message.encoded(integrityKey: key, fingerprint: true), from: base, to: destination)
    }

    // MARK: responses to our requests (RFC 8445 §7.2.5)

    mutating func handleResponse(_ response: STUNMessage, from source: TransportAddress, base: TransportAddress, now: Duration) {
        guard let t = transactions[response.transactionID] else {
            counters.unmatchedSTUNResponses += 1
            return
        }
        // A response that fails authentication is dropped; the transaction goes on.
        if let key = t.key {
            let authentic = response.hasMessageIntegrity && response.verifyMessageIntegrity(key: key)
            let unauthenticated401 = response.type.messageClass == .errorResponse && response.errorCode?.code == 401
            guard authentic || unauthenticated401 else {
                counters.unauthenticatedSTUNResponses += 1
                return
            }
        }
        transactions[response.transactionID] = nil
        switch t.kind {
        case .gather(let server):
            gatherResponse(response, server: server, base: t.source)
        case .consent(let pairID):
            if response.type.messageClass == .successResponse, pairID == selectedPairID {
                lastConsent = now
                if state == .disconnected { setState(.connected) }
            }
        case .check(let pairID, let useCandidate, let roleAtSend):
            guard let i = pairIndex(pairID) else { return }
            // RFC 8445 §7.2.5.2.1: non-symmetric addresses fail the check.
            guard source == t.destination, base == t.source else {
                failCheck(pairIndex: i, code: nil, now: now)
                return
            }
            if response.type.messageClass == .errorResponse {
                let code = response.errorCode?.code
                if code == 487 {
                    // RFC 8445 §7.2.5.1: switch role (if not already) and check again.
                    switchRole(to: roleAtSend == .controlling ? .controlled : .controlling, now: now)
                    pairs[i].state = .waiting
                    if !triggeredQueue.contains(pairID) { triggeredQueue.append(pairID) }
                    scheduleChecks(now: now)
                } else {
                    failCheck(pairIndex: i, code: code, now: now)
                }
                return
            }
            checkSucceeded(pairIndex: i, useCandidate: useCandidate, mapped: response.xorMappedAddress, now: now)
        }
    }

    mutating func failCheck(pairIndex i: Int, code: Int?, now: Duration) {
        pairs[i].state = .failed
        if nominatingPairID == pairs[i].id { nominatingPairID = nil }
        emit(.checkFailed(pairs[i].publicPair, errorCode: code))
        scheduleChecks(now: now)
        updateFailedState()
    }

    mutating func checkSucceeded(pairIndex i: Int, useCandidate: Bool, mapped: TransportAddress?, now: Duration) {
        pairs[i].state = .succeeded
        pairs[i].valid = true
        pairs[i].validLocal = validLocalCandidate(of: pairs[i], mapped: mapped)
        if firstValidTime == nil { firstValidTime = now }
        if pairs[i].id == selectedPairID { lastConsent = now }
        // RFC 8445 §7.2.5.3.3: unfreeze the pairs of the same foundation.
        let foundation = pairs[i].foundation
        for p in pairs.indices where pairs[p].state == .frozen && pairs[p].foundation == foundation {
            pairs[p].state = .waiting
        }
        if role == .controlling, useCandidate {
            if nominatingPairID == pairs[i].id { nominatingPairID = nil }
            select(pairIndex: i, now: now)
        } else if role == .controlled, pairs[i].nominateOnSuccess {
            select(pairIndex: i, now: now)
        }
        considerNomination(now: now)
        scheduleChecks(now: now)
    }

    /// RFC 8445 §7.2.5.3.2: the valid pair's local candidate is the one whose address is the
    /// mapped address (a server-reflexive candidate of the same base, behind a NAT); a mapped
    /// address no candidate has is a peer-reflexive candidate (§7.2.5.3.1), with the priority
    /// the check carried. Without a mapped address, the pair's own local candidate.
    func validLocalCandidate(of pair: CheckPair, mapped: TransportAddress?) -> ICECandidate {
        guard let mapped, mapped != pair.local.address else { return pair.local }
        if let known = localCandidates.first(where: { $0.address == mapped }) { return known }
        return ICECandidate(
            foundation: ICECandidate.foundation(type: .peerReflexive, baseIP: pair.local.address.ip, server: nil),
            priority: ICECandidate.priority(type: .peerReflexive, localPreference: (pair.local.priority >> 8) & 0xFFFF),
            address: mapped, type: .peerReflexive, relatedAddress: pair.local.address)
    }

    mutating func gatherResponse(_ response: STUNMessage, server: TransportAddress, base: TransportAddress) {
        defer { checkGatheringComplete() }
        guard response.type.messageClass == .successResponse, let mapped = response.xorMappedAddress,
              let host = localCandidates.first(where: { $0.type == .host && $0.address == base }) else {
            emit(.serverReflexiveResult(ServerReflexiveResult(server: server, base: base, candidate: nil, redundant: false)))
            return
        }
        let candidate = ICECandidate(
            foundation: ICECandidate.foundation(type: .serverReflexive, baseIP: base.ip, server: server),
            priority: ICECandidate.priority(type: .serverReflexive, localPreference: (host.priority >> 8) & 0xFFFF),
            address: mapped, type: .serverReflexive, relatedAddress: base)
        // RFC 8445 §5.1.3: drop a candidate whose address equals its base or another candidate's.
        let redundant = mapped == base || localCandidates.contains { $0.address == mapped }
        emit(.serverReflexiveResult(ServerReflexiveResult(server: server, base: base, candidate: candidate, redundant: redundant)))
        if !redundant {
            localCandidates.append(candidate)
            emit(.candidateGathered(candidate))
        }
    }
}
