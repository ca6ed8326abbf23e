import NetworkPrimitives

/// A TURN client (RFC 8656) for one allocation on one server, as a sans-I/O state machine like
/// `ICEAgentCore`: bytes from the server and the current time in; bytes for the server,
/// a deadline and events out. It owns no socket: everything it sends goes from its `base`
/// to `server`, over `transport` (a stream's framing is the caller's, see `TURNStreamFramer`).
///
/// Allocate with long-term credentials (RFC 8489 §9.2: the 401's REALM and NONCE, 438 Stale
/// Nonce), Refresh before expiry and LIFETIME 0 on `close`, CreatePermission per peer IP
/// (RFC 8656 §9), ChannelBind (§12) with ChannelData once bound and Send/Data indications
/// (§10-11) before.
public struct TURNClient {
    public enum State: Equatable, Sendable {
        case new, allocating, allocated, closing, closed
        case failed(TURNError)
    }

    public let server: TransportAddress
    /// The local address requests are sent from (the host candidate's socket).
    public let base: TransportAddress
    public let transport: TURNTransport
    public let configuration: TURNClientConfiguration
    public internal(set) var state: State = .new
    /// RFC 8656 §7.3: XOR-RELAYED-ADDRESS of the Allocate success response.
    public internal(set) var relayedAddress: TransportAddress?
    /// XOR-MAPPED-ADDRESS of the Allocate success response: the base as the server sees it.
    public internal(set) var mappedAddress: TransportAddress?
    public internal(set) var counters = TURNClientCounters()

    let username: String
    let password: String
    var credentials: TURNLongTermCredentials?
    var random: any RandomNumberGenerator
    var transactions: [STUNTransactionID: TURNTransaction] = [:]
    var sequence = 0
    /// When the allocation expires, and when the next Refresh goes out.
    var expiry: Duration?
    var refreshTime: Duration?
    var permissions: [IPAddress: TURNPermission] = [:]
    var channels: [TransportAddress: TURNChannel] = [:]
    var channelPeers: [UInt16: TransportAddress] = [:]
    var nextChannelNumber = TURNChannelData.channelNumbers.lowerBound
    var outbox = OutputQueue<[UInt8]>()
    var events = OutputQueue<TURNEvent>()

    /// - Parameters:
    ///   - username, password: the long-term credentials (`RTCIceServer.username`, `.credential`),
    ///     already OpaqueString-prepared (RFC 8489 §9.2.2).
    ///   - random: transaction IDs must be unpredictable (RFC 8489 §6); seeded in tests.
    public init(server: TransportAddress, base: TransportAddress, transport: TURNTransport = .udp,
                username: String, password: String, configuration: TURNClientConfiguration = TURNClientConfiguration(),
                random: any RandomNumberGenerator = SecureRandom()) {
        self.server = server
        self.base = base
        self.transport = transport
        self.username = username
        self.password = password
        self.configuration = configuration
        self.random = random
    }

    // MARK: - Inputs

    /// RFC 8656 §7.1: sends the first Allocate, without credentials; the server's 401 brings
    /// the realm and nonce the second one is signed with.
    public mutating func allocate(now: Duration) {
        guard state == .new else { return }
        state = .allocating
        startTransaction(.allocate, attributes: allocateAttributes, now: now)
    }

    /// Ask the server to let `peer` send to the relayed address (RFC 8656 §9). Refreshed until
    /// `close`. Data to a peer without one is held until it is installed.
    public mutating func createPermission(for peer: IPAddress, now: Duration) {
        guard state == .allocated, permissions[peer] == nil else { return }
        permissions[peer] = TURNPermission()
        sendCreatePermission(peer, now: now)
    }

    /// Wraps `payload` for `peer`: ChannelData on a bound channel, else a Send indication
    /// (RFC 8656 §10.1, §12.4). Returns the bytes for the server, or nil when the datagram is
    /// held for a pending permission (sent later through `pollTransmit`) or dropped (counted).
    public mutating func send(_ payload: [UInt8], to peer: TransportAddress, now: Duration) -> [UInt8]? {
        guard state == .allocated else {
            counters.droppedSends += 1
            return nil
        }
        if let channel = channels[peer], channel.bound {
            return TURNChannelData(channelNumber: channel.number, data: payload).encoded(padded: transport.isStream)
        }
        if permissions[peer.ip] == nil { createPermission(for: peer.ip, now: now) }
        guard let permission = permissions[peer.ip], permission.installed else {
            if permissions[peer.ip]?.queue.count ?? .max < configuration.maximumQueuedPerPeer {
                permissions[peer.ip]?.queue.append((peer, payload))
            } else {
                counters.droppedSends += 1
            }
            return nil
        }
        if configuration.bindsChannels, channels[peer] == nil { bindChannel(to: peer, now: now) }
        return sendIndication(payload, to: peer)
    }

    /// Handles one message from the server: a response, a Data indication or ChannelData.
    /// Returns the peer's data when it carried some.
    public mutating func handle(_ bytes: [UInt8], now: Duration) -> (payload: [UInt8], peer: TransportAddress)? {
        guard state != .closed else { return nil }
        if DatagramKind(bytes) == .turnChannel {
            guard let message = TURNChannelData(parsing: bytes) else {
                counters.malformedMessages += 1
                return nil
            }
            // Accepted while the bind is pending too: the server may send ChannelData before
            // its success response arrives (RFC 8656 §12.3).
            guard let peer = channelPeers[message.channelNumber], channels[peer]?.number == message.channelNumber else {
                counters.unexpectedPeerData += 1
                return nil
            }
            return (message.data, peer)
        }
        let message: STUNMessage
        do { message = try STUNMessage(parsing: bytes) } catch {
            counters.malformedMessages += 1
            return nil
        }
        switch message.type.messageClass {
        case .indication:
            return dataIndication(message)
        case .successResponse, .errorResponse:
            handleResponse(message, now: now)
            return nil
        case .request:
            counters.malformedMessages += 1
            return nil
        }
    }

    /// Runs what is due: retransmissions, transaction timeouts, refreshes, expiry.
    public mutating func handleTimeout(now: Duration) {
        guard state != .closed else { return }
        let due = transactions.filter { $0.value.deadline <= now }.sorted { $0.value.sequence < $1.value.sequence }
        for (id, t) in due {
            if !transport.isStream, t.transmissions < configuration.maximumTransmissions {
                var updated = t
                updated.transmissions += 1
                updated.timeout = min(t.timeout * 2, configuration.maximumRetransmissionTimeout)
                updated.deadline = now + updated.timeout
                transactions[id] = updated
                outbox.append(t.bytes)
            } else {
                transactions[id] = nil
                failed(t, .timeout, now: now)
            }
        }
        guard state == .allocated else { return }
        if let expiry, now >= expiry {
            lose(.allocationExpired)
            return
        }
        if let t = refreshTime, t <= now {
            refreshTime = nil
            startTransaction(.refresh(lifetime: configuration.requestedLifetime), attributes: refreshAttributes(configuration.requestedLifetime), now: now)
        }
        for (peer, permission) in permissions where permission.refreshTime.map({ $0 <= now }) ?? false {
            permissions[peer]?.refreshTime = nil
            sendCreatePermission(peer, now: now)
        }
        for (peer, channel) in channels where channel.refreshTime.map({ $0 <= now }) ?? false {
            channels[peer]?.refreshTime = nil
            sendChannelBind(channel.number, peer: peer, now: now)
        }
    }

    /// Releases the allocation: a Refresh with LIFETIME 0 (RFC 8656 §8). `closed` follows its
    /// answer or its timeout; without an allocation the client closes at once.
    public mutating func close(now: Duration) {
        switch state {
        case .allocated:
            state = .closing
            transactions = [:]
            refreshTime = nil
            startTransaction(.refresh(lifetime: 0), attributes: refreshAttributes(0), now: now)
        case .closing, .closed:
            return
        default:
            transactions = [:]
            finishClosing()
        }
    }

    /// The TCP or TLS connection to the server ended (RFC 8656 §3.1: the allocation goes with it).
    public mutating func connectionClosed() {
        switch state {
        case .new, .allocating:
            state = .failed(.connectionClosed)
            transactions = [:]
            emit(.allocationFailed(.connectionClosed))
        case .allocated:
            lose(.connectionClosed)
        case .closing:
            transactions = [:]
            finishClosing()
        case .closed, .failed:
            return
        }
    }

    // MARK: - Outputs

    /// The next message for the server (from `base`).
    public mutating func pollTransmit() -> [UInt8]? { outbox.poll() }

    public mutating func pollEvent() -> TURNEvent? { events.poll() }

    /// True when `pollTransmit` or `pollEvent` has something.
    public var hasOutput: Bool { !outbox.isEmpty || !events.isEmpty }

    /// When `handleTimeout(now:)` must next be called.
    public var nextDeadline: Duration? {
        guard state != .closed else { return nil }
        var deadline: Duration?
        func consider(_ d: Duration?) {
            guard let d else { return }
            deadline = deadline.map { min($0, d) } ?? d
        }
        for t in transactions.values { consider(t.deadline) }
        if state == .allocated {
            consider(refreshTime)
            consider(expiry)
            for p in permissions.values { consider(p.refreshTime) }
            for c in channels.values { consider(c.refreshTime) }
        }
        return deadline
    }

    /// True once a permission for `peer` is installed on the server.
    public func hasPermission(for peer: IPAddress) -> Bool { permissions[peer]?.installed ?? false }

    /// The channel bound to `peer`, once the server confirmed it.
    public func boundChannel(for peer: TransportAddress) -> UInt16? {
        channels[peer].flatMap { $0.bound ? $0.number : nil }
    }

    // MARK: - Requests

    var allocateAttributes: [STUNAttribute] {
        // RFC 8656 §7.1: REQUESTED-TRANSPORT 17 (UDP), whatever carries the requests.
        var list: [STUNAttribute] = [.requestedTransport(17)]
        if let lifetime = configuration.requestedLifetime { list.append(.lifetime(lifetime)) }
        return list
    }

    func refreshAttributes(_ lifetime: UInt32?) -> [STUNAttribute] {
        lifetime.map { [.lifetime($0)] } ?? []
    }

    mutating func sendCreatePermission(_ peer: IPAddress, now: Duration) {
        // The port of XOR-PEER-ADDRESS is ignored (RFC 8656 §9.1).
        startTransaction(.createPermission(peer), attributes: [.xorPeerAddress(TransportAddress(ip: peer, port: 0))], now: now)
    }

    mutating func bindChannel(to peer: TransportAddress, now: Duration) {
        guard TURNChannelData.channelNumbers.contains(nextChannelNumber) else { return }  // all 4096 in use
        let number = nextChannelNumber
        nextChannelNumber += 1
        channels[peer] = TURNChannel(number: number)
        channelPeers[number] = peer
        sendChannelBind(number, peer: peer, now: now)
    }

    mutating func sendChannelBind(_ number: UInt16, peer: TransportAddress, now: Duration) {
        startTransaction(.channelBind(number: number, peer: peer),
                         attributes: [.channelNumber(number), .xorPeerAddress(peer)], now: now)
    }

    /// RFC 8656 §10.1: a Send indication; unsigned (indications cannot be authenticated).
    mutating func sendIndication(_ payload: [UInt8], to peer: TransportAddress) -> [UInt8] {
        let message = STUNMessage(type: STUNMessageType(method: .send, messageClass: .indication),
                                  transactionID: .random(using: &random),
                                  attributes: [.xorPeerAddress(peer), .data(payload)])
        return message.encoded()
    }

    /// Starts a request, signed once the realm and nonce are known.
    mutating func startTransaction(_ kind: TURNTransaction.Kind, attributes: [STUNAttribute], now: Duration,
                                   staleNonceRetries: Int = 0) {
        let message = STUNMessage(type: STUNMessageType(method: kind.method, messageClass: .request),
                                  transactionID: .random(using: &random), attributes: attributes)
        let bytes = credentials?.sign(message) ?? message.encoded(fingerprint: true)
        let timeout = transport.isStream ? configuration.streamTransactionTimeout : configuration.retransmissionTimeout
        sequence += 1
        transactions[message.transactionID] = TURNTransaction(
            kind: kind, attributes: attributes, bytes: bytes, signed: credentials != nil,
            staleNonceRetries: staleNonceRetries, sequence: sequence, timeout: timeout, deadline: now + timeout)
        outbox.append(bytes)
    }

    // MARK: - Helpers

    mutating func emit(_ event: TURNEvent) { events.append(event) }

    /// A Data indication: the peer's data, if a permission for it exists (RFC 8656 §11.4).
    mutating func dataIndication(_ message: STUNMessage) -> (payload: [UInt8], peer: TransportAddress)? {
        guard message.type.method == .data else {
            counters.malformedMessages += 1
            return nil
        }
        var peer: TransportAddress?
        var data: [UInt8]?
        for attribute in message.attributes {
            if case .xorPeerAddress(let a) = attribute { peer = a }
            if case .data(let d) = attribute { data = d }
        }
        guard let peer, let data else {
            counters.malformedMessages += 1
            return nil
        }
        guard permissions[peer.ip]?.installed == true else {
            counters.unexpectedPeerData += 1
            return nil
        }
        return (data, peer)
    }

    /// Held datagrams for `peer`, now that its permission is installed.
    mutating func flushQueue(for peer: IPAddress, now: Duration) {
        guard let queued = permissions[peer]?.queue, !queued.isEmpty else { return }
        permissions[peer]?.queue = []
        for (address, payload) in queued {
            if let bytes = send(payload, to: address, now: now) { outbox.append(bytes) }
        }
    }

    mutating func lose(_ error: TURNError) {
        state = .failed(error)
        transactions = [:]
        refreshTime = nil
        expiry = nil
        emit(.allocationLost(error))
    }

    mutating func finishClosing() {
        state = .closed
        permissions = [:]
        channels = [:]
        channelPeers = [:]
        emit(.closed)
    }
}
