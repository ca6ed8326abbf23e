import NetworkPrimitives

/// Relayed candidates (RFC 8445 §5.1.1.2) through the TURN clients: one allocation per host
/// candidate and TURN server; checks and data from a relayed candidate go through its client,
/// and what the server relays comes back in as if received on the relayed address.
extension ICEAgentCore {
    /// Starts an Allocate on every TURN server of `base`'s address family.
    mutating func startAllocations(base: TransportAddress, now: Duration) {
        for server in configuration.turnServers where server.address.ip.isIPv6 == base.ip.isIPv6 {
            guard !turnClients.contains(where: {
                $0.base == base && $0.server == server.address && $0.transport == server.transport
            }) else { continue }
            var client = TURNClient(server: server.address, base: base, transport: server.transport,
                                    username: server.username, password: server.password,
                                    configuration: configuration.turn, random: random)
            _ = random.next()  // the client's generator starts from a copy: move ours on
            client.allocate(now: now)
            turnClients.append(client)
        }
        processTURN(now: now)
    }

    func turnClientIndex(relayed address: TransportAddress) -> Int? {
        turnClients.firstIndex { $0.relayedAddress == address && $0.state == .allocated }
    }

    /// The TURN client a datagram from `source` on `base` is for: its server's, unless it
    /// answers one of the agent's own STUN transactions (a STUN server at the same address).
    func turnClientIndex(for bytes: [UInt8], from source: TransportAddress, base: TransportAddress) -> Int? {
        guard let i = turnClients.firstIndex(where: { $0.server == source && $0.base == base && $0.transport == .udp }) else {
            return nil
        }
        if DatagramKind(bytes) == .stun, bytes.count >= 20,
           let id = STUNTransactionID(bytes: bytes[8..<20]), transactions[id] != nil {
            return nil
        }
        return i
    }

    /// A message from a TURN server: its client handles it; relayed data is then handled as
    /// a datagram from the peer on the relayed candidate.
    mutating func handleTURNDatagram(_ bytes: [UInt8], client i: Int, now: Duration) {
        let data = turnClients[i].handle(bytes, now: now)
        let relayed = turnClients[i].relayedAddress
        processTURN(now: now)
        if let data, let relayed {
            handleDatagram(data.payload, from: data.peer, to: relayed, now: now)
        }
    }

    /// One message (STUN or ChannelData, see `TURNStreamFramer`) from the TCP connection
    /// between `base`'s address and the TURN server `server` (RFC 8656 §3.1).
    public mutating func handleTURNStreamMessage(_ message: [UInt8], from server: TransportAddress, base: TransportAddress,
                                                 transport: TURNTransport, now: Duration) {
        guard state != .closed else { return }
        clock = now
        guard let i = turnClients.firstIndex(where: { $0.server == server && $0.base == base && $0.transport == transport }) else {
            counters.unknownSourceDatagrams += 1
            return
        }
        handleTURNDatagram(message, client: i, now: now)
    }

    /// The TCP connection to a TURN server failed or closed: its allocation is gone.
    public mutating func turnStreamClosed(server: TransportAddress, base: TransportAddress, transport: TURNTransport,
                                          now: Duration) {
        guard state != .closed else { return }
        clock = now
        for i in turnClients.indices where turnClients[i].server == server && turnClients[i].base == base
            && turnClients[i].transport == transport {
            turnClients[i].connectionClosed()
        }
        processTURN(now: now)
    }

    mutating func handleTURNTimeouts(now: Duration) {
        for i in turnClients.indices {
            if let d = turnClients[i].nextDeadline, d <= now { turnClients[i].handleTimeout(now: now) }
        }
        processTURN(now: now)
    }

    /// What the TURN clients queued goes out from their bases.
    mutating func drainTURNTransmits(_ i: Int) {
        while let bytes = turnClients[i].pollTransmit() {
            transmits.append(ICETransmit(source: turnClients[i].base, destination: turnClients[i].server, payload: bytes,
                                         transport: turnClients[i].transport))
        }
    }

    /// Sends what the TURN clients queued and acts on their events.
    mutating func processTURN(now: Duration) {
        for i in turnClients.indices {
            drainTURNTransmits(i)
            while let event = turnClients[i].pollEvent() {
                turnEvent(event, client: i, now: now)
            }
        }
        checkGatheringComplete()
    }

    mutating func turnEvent(_ event: TURNEvent, client i: Int, now: Duration) {
        let server = turnClients[i].server, base = turnClients[i].base
        switch event {
        case .allocated(let relayed, let mapped, _):
            guard let host = localCandidates.first(where: { $0.type == .host && $0.address == base }) else { return }
            // RFC 8445 §5.1.2.2: type preference 0; the related address is the mapped one.
            let candidate = ICECandidate(
                foundation: ICECandidate.foundation(type: .relayed, baseIP: base.ip, server: server),
                priority: ICECandidate.priority(type: .relayed, localPreference: (host.priority >> 8) & 0xFFFF),
                address: relayed, type: .relayed, relatedAddress: mapped ?? base)
            emit(.relayResult(RelayResult(server: server, base: base, candidate: candidate, error: nil)))
            guard !localCandidates.contains(where: { $0.address == relayed }) else { return }
            localCandidates.append(candidate)
            emit(.candidateGathered(candidate))
            for remote in remoteCandidates { addPair(localBase: candidate, remote: remote, now: now) }
        case .allocationFailed(let error):
            emit(.relayResult(RelayResult(server: server, base: base, candidate: nil, error: error)))
        case .allocationLost(let error):
            emit(.relayLost(server: server, error))
            // Its pairs can no longer be checked; a selected one lapses through consent (RFC 7675).
            for p in pairs.indices where pairs[p].local.type == .relayed && pairs[p].id != selectedPairID
                && pairs[p].local.address == turnClients[i].relayedAddress {
                pairs[p].state = .failed
                pairs[p].valid = false
            }
        case .permissionCreated, .permissionFailed, .channelBound, .channelBindFailed, .refreshed, .closed:
            break
        }
    }

    /// A pair on a relayed candidate needs the server's permission for the remote IP (RFC 8656 §9).
    mutating func createPermission(local: ICECandidate, remote: ICECandidate, now: Duration) {
        guard local.type == .relayed, let i = turnClientIndex(relayed: local.address) else { return }
        turnClients[i].createPermission(for: remote.address.ip, now: now)
        drainTURNTransmits(i)
    }

    /// True when TURN servers are configured and allocations were started.
    public var hasTURNClients: Bool { !turnClients.isEmpty }

    /// The TURN clients' counters summed.
    public var turnCounters: TURNClientCounters {
        var sum = TURNClientCounters()
        for c in turnClients {
            sum.malformedMessages += c.counters.malformedMessages
            sum.unmatchedResponses += c.counters.unmatchedResponses
            sum.unauthenticatedResponses += c.counters.unauthenticatedResponses
            sum.unexpectedPeerData += c.counters.unexpectedPeerData
            sum.droppedSends += c.counters.droppedSends
        }
        return sum
    }
}
