import NetworkPrimitives
@testable import ICE

/// A TURN server for the client's state-machine tests (sans-I/O, the RFC 8656 server side in
/// miniature): long-term credentials with a nonce it can rotate, allocations, permissions and
/// channels with their lifetimes, and errors on demand.
struct TURNTestServer {
    var realm = "example.org"
    var nonce = "nonce-1"
    var username = "alice"
    var password = "secret"
    /// Offer PASSWORD-ALGORITHMS (SHA-256 first) in the 401 (RFC 8489 §9.2.4).
    var offersSHA256 = false
    var relayed = TransportAddress("192.0.2.15", port: 50000)!
    var lifetime: UInt32 = 600
    /// Answer the next request of this method with this code instead (once).
    var injectedErrors: [STUNMethod: Int] = [:]
    /// Methods not answered at all.
    var silent: Set<STUNMethod> = []

    var allocated = false
    /// The client's address as the server saw it (the allocation's 5-tuple).
    var clientAddress: TransportAddress?
    var permissions: [IPAddress: Duration] = [:]
    var channels: [UInt16: TransportAddress] = [:]
    /// Everything the client sent: requests by method, signed or not; indications' data.
    var requests: [(method: STUNMethod, signed: Bool, message: STUNMessage)] = []
    var sentToPeers: [(peer: TransportAddress, data: [UInt8], viaChannel: Bool)] = []

    func count(_ method: STUNMethod) -> Int { requests.filter { $0.method == method }.count }

    var key: [UInt8] {
        offersSHA256
            ? STUNCredentials.longTermKeySHA256(username: username, realm: realm, password: password)!
            : STUNCredentials.longTermKey(username: username, realm: realm, password: password)!
    }

    /// Handles one message from the client; returns the server's answer, if any.
    mutating func receive(_ bytes: [UInt8], from client: TransportAddress, now: Duration) -> [UInt8]? {
        if let channelData = TURNChannelData(parsing: bytes) {
            if let peer = channels[channelData.channelNumber] { sentToPeers.append((peer, channelData.data, true)) }
            return nil
        }
        guard let m = try? STUNMessage(parsing: bytes) else { return nil }
        if m.type.messageClass == .indication {
            var peer: TransportAddress?, data: [UInt8]?
            for a in m.attributes {
                if case .xorPeerAddress(let p) = a { peer = p }
                if case .data(let d) = a { data = d }
            }
            if let peer, let data, permissions[peer.ip].map({ now < $0 }) ?? false { sentToPeers.append((peer, data, false)) }
            return nil
        }
        let signed = m.hasMessageIntegrity || m.hasMessageIntegritySHA256
        requests.append((m.type.method, signed, m))
        if silent.contains(m.type.method) { return nil }
        guard signed, m.username == username else {
            var attributes: [STUNAttribute] = [.errorCode(code: 401, reason: "Unauthorized"), .realm(realm), .nonce(nonce)]
            if offersSHA256 { attributes.append(.passwordAlgorithms([.sha256, .md5])) }
            return error(m, attributes)
        }
        let authentic = offersSHA256 ? m.verifyMessageIntegritySHA256(key: key) : m.verifyMessageIntegrity(key: key)
        guard authentic else { return error(m, [.errorCode(code: 401, reason: "Unauthorized"), .realm(realm), .nonce(nonce)]) }
        guard m.nonce == nonce else { return error(m, [.errorCode(code: 438, reason: "Stale Nonce"), .realm(realm), .nonce(nonce)]) }
        if let code = injectedErrors.removeValue(forKey: m.type.method) {
            return signedError(m, code)
        }
        switch m.type.method {
        case .allocate:
            allocated = true
            clientAddress = client
            return success(m, [.xorRelayedAddress(relayed), .xorMappedAddress(client), .lifetime(lifetime)])
        case .refresh:
            guard allocated else { return signedError(m, 437) }
            var requested = lifetime
            for case .lifetime(let l) in m.attributes { requested = l }
            if requested == 0 { allocated = false; permissions = [:]; channels = [:] }
            return success(m, [.lifetime(requested)])
        case .createPermission:
            for case .xorPeerAddress(let p) in m.attributes { permissions[p.ip] = now + .seconds(300) }
            return success(m, [])
        case .channelBind:
            var number: UInt16?, peer: TransportAddress?
            for a in m.attributes {
                if case .channelNumber(let n) = a { number = n }
                if case .xorPeerAddress(let p) = a { peer = p }
            }
            guard let number, let peer else { return signedError(m, 400) }
            channels[number] = peer
            permissions[peer.ip] = now + .seconds(300)
            return success(m, [])
        default:
            return signedError(m, 400)
        }
    }

    /// As `receive`, and what the client sent to peers leaves from the relayed address.
    mutating func receive(relaying bytes: [UInt8], from client: TransportAddress, now: Duration) -> ([UInt8]?, [ICETransmit]) {
        let before = sentToPeers.count
        let answer = receive(bytes, from: client, now: now)
        let out = sentToPeers[before...].map { ICETransmit(source: relayed, destination: $0.peer, payload: $0.data) }
        return (answer, Array(out))
    }

    /// A datagram from `peer` to the relayed address: wrapped for the client if the peer has
    /// a permission (RFC 8656 §11.3), else dropped.
    func relayIn(_ data: [UInt8], from peer: TransportAddress, now: Duration) -> [UInt8]? {
        guard allocated, permissions[peer.ip].map({ now < $0 }) ?? false else { return nil }
        return fromPeer(data, peer: peer)
    }

    /// Data from `peer` to the client: ChannelData on a bound channel, else a Data indication.
    func fromPeer(_ data: [UInt8], peer: TransportAddress) -> [UInt8] {
        if let number = channels.first(where: { $0.value == peer })?.key {
            return TURNChannelData(channelNumber: number, data: data).encoded(padded: false)
        }
        var seed = SplitMix64(seed: UInt64(data.count))
        return STUNMessage(type: STUNMessageType(method: .data, messageClass: .indication), transactionID: .random(using: &seed),
                           attributes: [.xorPeerAddress(peer), .data(data)]).encoded()
    }

    func success(_ m: STUNMessage, _ attributes: [STUNAttribute]) -> [UInt8] {
        let r = STUNMessage(type: STUNMessageType(method: m.type.method, messageClass: .successResponse),
                            transactionID: m.transactionID, attributes: attributes)
        return offersSHA256 ? r.encoded(integritySHA256Key: key, fingerprint: true) : r.encoded(integrityKey: key, fingerprint: true)
    }

    func error(_ m: STUNMessage, _ attributes: [STUNAttribute]) -> [UInt8] {
        STUNMessage(type: STUNMessageType(method: m.type.method, messageClass: .errorResponse),
                    transactionID: m.transactionID, attributes: attributes).encoded(fingerprint: true)
    }

    func signedError(_ m: STUNMessage, _ code: Int) -> [UInt8] {
        let r = STUNMessage(type: STUNMessageType(method: m.type.method, messageClass: .errorResponse),
                            transactionID: m.transactionID, attributes: [.errorCode(code: code, reason: "Test \(code)")])
        return r.encoded(integrityKey: key, fingerprint: true)
    }
}

/// The client and the server on a simulated clock: a one-way delay, every timer fired when due.
struct TURNSimulation {
    var client: TURNClient
    var server = TURNTestServer()
    var now: Duration = .zero
    var events: [(Duration, TURNEvent)] = []
    var received: [(payload: [UInt8], peer: TransportAddress)] = []
    let base = TransportAddress("10.0.0.2", port: 40000)!
    let delay: Duration = .milliseconds(10)
    /// Messages in flight to the client, with their arrival times.
    var toClient: [(Duration, [UInt8])] = []
    var toServer: [(Duration, [UInt8])] = []

    init(configuration: TURNClientConfiguration = TURNClientConfiguration(), server: TURNTestServer = TURNTestServer(),
         password: String? = nil) {
        self.server = server
        client = TURNClient(server: TransportAddress("192.0.2.1", port: 3478)!, base: base,
                            username: server.username, password: password ?? server.password,
                            configuration: configuration, random: SplitMix64(seed: 7))
    }

    mutating func collect() {
        while let bytes = client.pollTransmit() { toServer.append((now + delay, bytes)) }
        while let e = client.pollEvent() { events.append((now, e)) }
    }

    /// Sends client output, delivers what is due and fires timers until `end`.
    mutating func run(until end: Duration) {
        collect()
        while true {
            let next = [toServer.map(\.0).min(), toClient.map(\.0).min(), client.nextDeadline].compactMap { $0 }.min()
            guard let next, next <= end else { break }
            now = max(now, next)
            let serverDue = toServer.filter { $0.0 <= now }
            toServer.removeAll { $0.0 <= now }
            for (_, bytes) in serverDue {
                if let answer = server.receive(bytes, from: base, now: now) { toClient.append((now + delay, answer)) }
            }
            let clientDue = toClient.filter { $0.0 <= now }
            toClient.removeAll { $0.0 <= now }
            for (_, bytes) in clientDue {
                if let data = client.handle(bytes, now: now) { received.append(data) }
            }
            if let d = client.nextDeadline, d <= now { client.handleTimeout(now: now) }
            collect()
        }
        now = end
    }

    mutating func send(_ payload: [UInt8], to peer: TransportAddress) {
        if let bytes = client.send(payload, to: peer, now: now) { toServer.append((now + delay, bytes)) }
        collect()
    }

    mutating func deliverFromPeer(_ payload: [UInt8], peer: TransportAddress) {
        toClient.append((now + delay, server.fromPeer(payload, peer: peer)))
    }

    func eventList() -> [TURNEvent] { events.map(\.1) }
}
