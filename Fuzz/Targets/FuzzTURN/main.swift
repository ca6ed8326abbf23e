// What a TURN server sends a client (RFC 8656): responses, Data indications and ChannelData,
// as datagrams and as a TCP stream (TURNStreamFramer), into a client that holds an allocation,
// a permission and a bound channel. Nothing from the server may trap; the client stays usable.
import FuzzSupport
import ICE
import NetworkPrimitives

let server = TransportAddress(ip: .v4(0xC000_0201), port: 3478)
let base = TransportAddress(ip: .v4(0x0A00_0002), port: 40000)
let peer = TransportAddress(ip: .v4(0xC633_6407), port: 5000)
let key = STUNCredentials.longTermKey(username: "alice", realm: "example.org", password: "secret") ?? []

/// The server's answer to the client's last request: a 401 challenge to an unsigned one,
/// success (signed) otherwise.
func answer(_ request: [UInt8]) -> [UInt8]? {
    guard let m = try? STUNMessage(parsing: request), m.type.messageClass == .request else { return nil }
    if !m.hasMessageIntegrity {
        return STUNMessage(type: STUNMessageType(method: m.type.method, messageClass: .errorResponse), transactionID: m.transactionID,
                           attributes: [.errorCode(code: 401, reason: "Unauthorized"), .realm("example.org"), .nonce("n")]).encoded()
    }
    var attributes: [STUNAttribute] = []
    if m.type.method == .allocate {
        attributes = [.xorRelayedAddress(TransportAddress(ip: .v4(0xC000_020F), port: 50000)), .xorMappedAddress(base), .lifetime(600)]
    }
    return STUNMessage(type: STUNMessageType(method: m.type.method, messageClass: .successResponse), transactionID: m.transactionID,
                       attributes: attributes).encoded(integrityKey: key)
}

/// Runs the exchange until the client sends nothing more.
func settle(_ client: inout TURNClient) {
    var rounds = 0
    while let request = client.pollTransmit(), rounds < 16 {
        rounds += 1
        if let reply = answer(request) { _ = client.handle(reply, now: .zero) }
    }
}

func allocatedClient(_ transport: TURNTransport) -> TURNClient {
    var client = TURNClient(server: server, base: base, transport: transport, username: "alice", password: "secret")
    client.allocate(now: .zero)
    settle(&client)
    client.createPermission(for: peer.ip, now: .zero)
    settle(&client)
    _ = client.send([1], to: peer, now: .zero)  // starts the ChannelBind
    settle(&client)
    FuzzInput.require(client.state == .allocated && client.boundChannel(for: peer) != nil, "the scripted server did not allocate")
    return client
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    var udp = allocatedClient(.udp)
    for datagram in FuzzInput.datagrams(input) {
        _ = TURNChannelData(parsing: datagram)
        _ = udp.handle(datagram, now: .seconds(1))
        while udp.pollTransmit() != nil {}
        while udp.pollEvent() != nil {}
    }
    var tcp = allocatedClient(.tcp)
    var framer = TURNStreamFramer()
    for message in framer.append(input) {
        _ = tcp.handle(message, now: .seconds(1))
    }
    // Whatever came in, the allocations still carry data (or were refused cleanly).
    _ = udp.send([0x80, 0], to: peer, now: .seconds(2))
    _ = tcp.send([0x80, 0], to: peer, now: .seconds(2))
    udp.handleTimeout(now: .seconds(3600))
    return 0
}
