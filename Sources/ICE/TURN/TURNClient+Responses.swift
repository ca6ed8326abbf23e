import NetworkPrimitives

/// Responses to the client's requests (RFC 8656 §7.3, §8, §9, §12; RFC 8489 §9.2.5).
extension TURNClient {
    mutating func handleResponse(_ message: STUNMessage, now: Duration) {
        guard let t = transactions[message.transactionID] else {
            counters.unmatchedResponses += 1
            return
        }
        let isError = message.type.messageClass == .errorResponse
        if let credentials, t.signed {
            // RFC 8489 §9.2.5: a response with integrity must verify; a success must have it.
            // Error responses may come unsigned (401 and 438 always do).
            let signed = message.hasMessageIntegrity || message.hasMessageIntegritySHA256
            if (signed && !credentials.verify(message)) || (!isError && !signed) {
                counters.unauthenticatedResponses += 1
                return
            }
        }
        guard message.type.method == t.kind.method else {
            counters.malformedMessages += 1
            return
        }
        transactions[message.transactionID] = nil
        if isError {
            handleError(message, transaction: t, now: now)
        } else {
            handleSuccess(message, transaction: t, now: now)
        }
    }

    mutating func handleError(_ message: STUNMessage, transaction t: TURNTransaction, now: Duration) {
        guard let errorCode = message.errorCode else {
            failed(t, .malformedResponse, now: now)
            return
        }
        let code = errorCode.code, reason = errorCode.reason
        switch code {
        case 401 where !t.signed:
            // RFC 8489 §9.2.3: the challenge. Retry signed with its realm and nonce.
            guard let realm = message.realm, let nonce = message.nonce,
                  let credentials = TURNLongTermCredentials(
                      username: username, password: password, realm: realm, nonce: nonce,
                      offered: message.passwordAlgorithmsOffered) else {
                failed(t, .malformedResponse, now: now)
                return
            }
            self.credentials = credentials
            startTransaction(t.kind, attributes: t.attributes, now: now)
        case 438 where t.staleNonceRetries < configuration.maximumStaleNonceRetries:
            // RFC 8489 §9.2.5: a new nonce (and perhaps realm); the same request again.
            guard let nonce = message.nonce, var credentials else {
                failed(t, .malformedResponse, now: now)
                return
            }
            if let realm = message.realm, realm != credentials.realm,
               let renewed = TURNLongTermCredentials(username: username, password: password, realm: realm, nonce: nonce,
                                                     offered: message.passwordAlgorithmsOffered ?? credentials.offeredAlgorithms) {
                credentials = renewed
            }
            credentials.nonce = nonce
            self.credentials = credentials
            startTransaction(t.kind, attributes: t.attributes, now: now, staleNonceRetries: t.staleNonceRetries + 1)
        default:
            failed(t, TURNError(code: code, reason: reason), now: now)
        }
    }

    mutating func handleSuccess(_ message: STUNMessage, transaction t: TURNTransaction, now: Duration) {
        switch t.kind {
        case .allocate:
            guard state == .allocating else { return }
            var relayed: TransportAddress?
            var mapped: TransportAddress?
            var lifetime: UInt32?
            for attribute in message.attributes {
                switch attribute {
                case .xorRelayedAddress(let a) where relayed == nil: relayed = a
                case .xorMappedAddress(let a): mapped = a
                case .lifetime(let l): lifetime = l
                default: break
                }
            }
            guard let relayed, let lifetime, lifetime > 0 else {
                failed(t, .malformedResponse, now: now)
                return
            }
            relayedAddress = relayed
            mappedAddress = mapped
            state = .allocated
            let duration = scheduleRefresh(lifetime: lifetime, now: now)
            emit(.allocated(relayed: relayed, mapped: mapped, lifetime: duration))
        case .refresh(let requested):
            if requested == 0 || state == .closing {
                finishClosing()
                return
            }
            guard state == .allocated else { return }
            var lifetime: UInt32?
            for case .lifetime(let l) in message.attributes { lifetime = l }
            guard let lifetime, lifetime > 0 else {
                lose(.allocationExpired)
                return
            }
            emit(.refreshed(lifetime: scheduleRefresh(lifetime: lifetime, now: now)))
        case .createPermission(let peer):
            guard state == .allocated, permissions[peer] != nil else { return }
            let first = permissions[peer]?.installed == false
            permissions[peer]?.installed = true
            let refresh = now + configuration.permissionRefreshInterval
            permissions[peer]?.refreshTime = refresh
            if first { emit(.permissionCreated(peer)) }
            flushQueue(for: peer, now: now)
        case .channelBind(let number, let peer):
            guard state == .allocated, channels[peer]?.number == number else { return }
            let first = channels[peer]?.bound == false
            channels[peer]?.bound = true
            let channelRefresh = now + configuration.channelRefreshInterval
            let permissionRefresh = now + configuration.permissionRefreshInterval
            channels[peer]?.refreshTime = channelRefresh
            // RFC 8656 §12.2: a ChannelBind also installs or refreshes the peer's permission.
            if permissions[peer.ip]?.installed == true {
                permissions[peer.ip]?.refreshTime = permissionRefresh
            }
            if first { emit(.channelBound(channelNumber: number, peer: peer)) }
        }
    }

    /// Sets the expiry and the next Refresh (a margin before expiry, at least half the
    /// lifetime); returns the lifetime.
    mutating func scheduleRefresh(lifetime seconds: UInt32, now: Duration) -> Duration {
        let lifetime = Duration.seconds(Int64(seconds))
        expiry = now + lifetime
        refreshTime = now + max(lifetime - configuration.refreshMargin, lifetime / 2)
        return lifetime
    }

    /// A request failed (an error response or no answer).
    mutating func failed(_ t: TURNTransaction, _ error: TURNError, now: Duration) {
        switch t.kind {
        case .allocate:
            guard state == .allocating else { return }
            state = .failed(error)
            emit(.allocationFailed(error))
        case .refresh(let requested):
            if requested == 0 || state == .closing {
                finishClosing()
                return
            }
            guard state == .allocated else { return }
            switch error {
            case .timeout, .serverError, .staleNonce:
                // Try again while the allocation lasts; expiry ends it otherwise.
                if let expiry, now + .seconds(5) < expiry { refreshTime = now + .seconds(5) }
            default:
                lose(error)
            }
        case .createPermission(let peer):
            guard let permission = permissions[peer] else { return }
            counters.droppedSends += permission.queue.count
            permissions[peer] = nil
            emit(.permissionFailed(peer, error))
        case .channelBind(let number, let peer):
            guard channels[peer]?.number == number else { return }
            // Send indications carry the peer's data from now on; the number is not reused.
            channels[peer] = nil
            emit(.channelBindFailed(peer: peer, error))
        }
    }
}

extension STUNMessage {
    /// PASSWORD-ALGORITHMS of a 401 or 438 (RFC 8489 §14.11).
    var passwordAlgorithmsOffered: [STUNPasswordAlgorithm]? {
        for case .passwordAlgorithms(let list) in attributes { return list }
        return nil
    }
}
