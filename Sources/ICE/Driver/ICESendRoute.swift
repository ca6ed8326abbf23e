import NetworkPrimitives
import Synchronization

/// Where application data goes from a thread other than the agent's loop: the selected
/// pair's socket and the peer's address, as the driver last published them. Media leaves
/// from the thread that encoded it, so that a frame's packets cost no hop to the loop (a
/// sender's loop woke 72 times a second for those hops alone, docs/performance.md, round 8).
///
/// Published only for a direct pair on a socket that sends from any thread; through a relay
/// (whose ChannelBind state the loop owns) or on a simulated socket, there is no route and
/// the data hops to the loop as before.
///
/// A class: each packet takes the route with one retain, not a copy of the socket's
/// existential, both addresses and the closure.
final class ICESendRoute: Sendable {
    let socket: any ICEDatagramSocket
    let source: TransportAddress
    let destination: TransportAddress
    /// Counts a datagram the socket refused (on the loop).
    let failed: @Sendable (any Error) -> Void

    init(socket: any ICEDatagramSocket, source: TransportAddress, destination: TransportAddress,
         failed: @escaping @Sendable (any Error) -> Void) {
        self.socket = socket
        self.source = source
        self.destination = destination
        self.failed = failed
    }
}

/// The route as the driver last published it (after each pump), read by any thread.
final class ICEPublishedRoute: Sendable {
    private let value = Mutex<ICESendRoute?>(nil)

    func store(_ route: ICESendRoute?) { value.withLock { $0 = route } }
    func load() -> ICESendRoute? { value.withLock { $0 } }
}
